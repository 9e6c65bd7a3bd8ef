#!/usr/bin/env python3
# Dev tool, stage 1 of 2: dump the command-line *interface* of an installed
# damo 3.4.3 (command paths, option strings, dest, action, nargs, type,
# default, choices, metavar, hidden; no help text, no code) as JSON into
# tools/cli/damo-3.4.3.json.  Run it with the damo venv's python, host
# DAMON masked:
#   ../shared/tools/masked ~/.cache/damo-oracle-venv/bin/python \
#       tools/cli/dump-damo-cli.py > tools/cli/damo-3.4.3.json
# Stage 2 (tools/gen-cli-spec.py) needs no damo.
import argparse
import json
import os
import sys

import damo as damo_pkg
sys.path.insert(0, os.path.dirname(damo_pkg.__file__))
from damo import damo as damo_main  # noqa: E402
import _damo_subcmds  # noqa: E402
import damo_module  # noqa: E402
import damo_module_stat  # noqa: E402

# damo only lists 'module stat' when /sys/module/damon_stat exists; we always
# offer it.
damo_module.subcmds.append(_damo_subcmds.DamoSubCmd(
    name='stat', module=damo_module_stat, msg=''))

ACTIONS = {'_StoreAction': 'store', '_AppendAction': 'append',
           '_StoreTrueAction': 'store_true',
           '_StoreFalseAction': 'store_false'}


def nargs_of(a):
    n = a.nargs
    if n is None:
        return 1
    return n


def default_of(a):
    d = a.default
    if isinstance(a, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return bool(d)
    if d is None or d == argparse.SUPPRESS:
        return None
    if isinstance(d, (list, tuple)):
        return [str(x) for x in d]
    return str(d)


def metavar_of(a):
    m = a.metavar
    if m is None:
        return []
    if isinstance(m, tuple):
        return [str(x) for x in m]
    return [str(m)]


commands = []


def walk(parser, path):
    # Extension: damon-tests runs 'damo validate <file>'; accept that form.
    if path == ['validate']:
        parser.add_argument('record_file_positional', nargs='?',
                            metavar='<file>')
    cmd = {'path': ' '.join(path), 'options': [], 'positionals': [],
           'subcmds': [], 'subcmd_dest': '', 'subcmd_metavar': '',
           'subcmd_required': False}
    commands.append(cmd)
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            cmd['subcmd_dest'] = a.dest or ''
            cmd['subcmd_metavar'] = a.metavar or ''
            cmd['subcmd_required'] = bool(a.required)
            for cname, cparser in a.choices.items():
                cmd['subcmds'].append(' '.join(path + [cname]))
                walk(cparser, path + [cname])
            continue
        if isinstance(a, argparse._HelpAction):
            continue
        t = {int: 'int', float: 'float'}.get(a.type, 'str')
        entry = {'flags': list(a.option_strings), 'dest': a.dest,
                 'action': ACTIONS[type(a).__name__], 'nargs': nargs_of(a),
                 'type': t, 'default': default_of(a),
                 'choices': [str(c) for c in (a.choices or [])],
                 'metavar': metavar_of(a),
                 'hidden': a.help == argparse.SUPPRESS}
        cmd['options' if a.option_strings else 'positionals'].append(entry)


parser = argparse.ArgumentParser()
subparser = parser.add_subparsers(title='command', dest='command',
                                  metavar='<command>')
subparser.required = True
for subcmd in damo_main.subcmds:
    subcmd.add_parser(subparser)
walk(parser, [])

# one option per line: diffs of a new damo version stay readable
print('{"damo": "3.4.3", "commands": [')
for i, c in enumerate(commands):
    head = {k: v for k, v in c.items() if k not in ('options', 'positionals')}
    print(' {"command": %s,' % json.dumps(head))
    for key in ('options', 'positionals'):
        items = c[key]
        print('  "%s": [' % key)
        for j, o in enumerate(items):
            print('   %s%s' % (json.dumps(o), ',' if j + 1 < len(items) else ''))
        print('  ]%s' % (',' if key == 'options' else ''))
    print(' }%s' % (',' if i + 1 < len(commands) else ''))
print(']}')
