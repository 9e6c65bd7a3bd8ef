#!/usr/bin/env python3
# Dev tool, stage 2 of 2: generate the command line's Rust tables from
#   tools/cli/damo-3.4.3.json  damo 3.4.3's interface (stage 1,
#                              tools/cli/dump-damo-cli.py, needs damo)
#   tools/cli/ours.json        what this damo adds: commands, choices
#   tools/cli/help.ini         our help texts (none is damo's)
# into
#   src/cli/spec.rs  the table the argparse-compatible parser walks, each
#                    option with its help text beside it;
#   src/cli/opts.rs  one typed struct per command, filled once from the
#                    parsed arguments (the only place that names options).
# Needs no damo: `python3 tools/gen-cli-spec.py` (CI checks that the
# generated files are current).  Field types come from damo's table (flags
# are bool, int options integers, choices enums, append options one entry
# per occurrence, options without a default Option), narrowed where WIDTH
# says; option groups shared by several commands (GROUPS) are one struct.
import configparser
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Option groups: the options every listed command shares (same definition,
# visibility aside) become one struct, a field of each command's struct.
GROUPS = [
    ('DamonParams', 'damon', ['start', 'tune', 'record', 'schemes',
                              'args damon']),
    ('AccessFormat', 'access_format', ['report access', 'args accesses_format']),
    ('AccessFilter', 'access_filter', ['report access', 'args accesses_filter',
                                       'adjust', 'report times', 'report profile',
                                       'record', 'report attrs']),
    ('ReclaimModule', 'module', ['reclaim', 'module reclaim']),
    ('LruSortModule', 'module', ['lru_sort', 'module lru_sort']),
]

# Integer options whose uses need a narrower type than the parser's range
# (any 64-bit value, signed or not): i64 where damo does index arithmetic.
WIDTH = {
    'kdamond_idx': 'i64', 'context_idx': 'i64', 'scheme_idx': 'i64',
    'nr_cols_bar': 'i64', 'obsolete_targets': 'i64',
    'percentiles_range': 'i64', 'range': 'i64', 'resol': 'i64',
    'pause_ctx': 'i64', 'idle_time_percentiles_range': 'i64',
    'temperature_weights': 'i64', 'max_connections': 'i64',
}

# Options damo takes as text although their values are numbers with
# units, modes or ranges: converted once, by these kinds of cli::conv,
# into these types (the DAMON parameters' texts are the exception: the
# same texts come from kdamonds JSON/YAML files, so damon::args converts
# both in one place).
UNITS = {
    'sz_region': ('Num', 'bytes'), 'address': ('Num', 'bytes'),
    'sz_snapshot': ('Num', 'bytes'), 'test_perf_sz_mem': ('Num', 'bytes'),
    'access_rate': ('Num', 'percent'), 'age': ('Num', 'us'),
    'snapshot_time': ('Num', 'ns'), 'snapshot_idx': ('Num', 'nr'),
    'output_permission': ('u32', 'mode'),
    'output_flush_sec': ('Duration', 'positive_duration'),
    'test_perf_runtime': ('f64', 'seconds'),
    'progress_notice_interval': ('f64', 'seconds'),
    'allow_error': ('f64', 'percentage'),
    'interval': ('Duration', 'positive_duration'),
    'regions_boundary': ('[i128; 2]', 'boundary'),
}

# The DAMON parameters whose every value has one unit (the DamonParams
# group, named by its first command); those whose words change meaning by
# position or form (actions, quotas, watermarks, goals, filters, regions,
# probes) are read by damon::args, which reads the same texts in kdamonds
# files.
for dest, conv in {
        'sample': 'us', 'aggr': 'us', 'updr': 'us',
        'monitoring_intervals': 'us', 'damos_age': 'us',
        'damos_apply_interval': 'us', 'minr': 'nr', 'maxr': 'nr',
        'monitoring_nr_regions_range': 'nr', 'damos_max_nr_snapshots': 'nr',
        'damos_sz_region': 'bytes', 'damon_addr_unit': 'bytes',
        'damos_access_rate': 'percent', 'refresh_stat': 'ms'}.items():
    UNITS[('start', dest)] = ('Num', conv)

# Options of one command whose values are one value together, or that
# mean something of their own there: (command, dest) -> (type, kind).
WHOLE = {
    ('report heatmap', 'time_range'): ('conv::Range', 'time_range'),
    ('report heatmap', 'address_range'): ('Option<conv::Range>',
                                          'address_range'),
    ('record', 'snapshot'): ('conv::SnapshotPlan', 'snapshot_plan'),
    ('report access', 'repeat'): ('conv::Repeat', 'repeat'),
    ('report attrs', 'repeat'): ('conv::Repeat', 'repeat'),
}
SPECIAL = {
    ('report heatmap', 'output'): ('conv::HeatmapOutput', 'heatmap_output'),
}

RUST_KEYWORDS = {'type', 'match', 'loop', 'move', 'ref', 'self', 'use'}


def rs(s):
    return '"%s"' % str(s).replace('\\', '\\\\').replace('"', '\\"')


def camel(words):
    out = ''
    for w in words.replace('-', '_').replace(':', '_').replace(' ', '_') \
            .split('_'):
        out += w[:1].upper() + w[1:].lower()
    return out


def field_name(dest):
    f = dest.lower()
    return 'r#' + f if f in RUST_KEYWORDS else f


def load():
    with open(os.path.join(HERE, 'cli', 'damo-3.4.3.json')) as f:
        table = json.load(f)
    help_ini = configparser.ConfigParser(delimiters=('=',),
                                         interpolation=None)
    help_ini.optionxform = str
    help_ini.read(os.path.join(HERE, 'cli', 'help.ini'))
    with open(os.path.join(HERE, 'cli', 'ours.json')) as f:
        extend(table, json.load(f))
    return table, help_ini


def extend(table, ours):
    """Merges ours.json: new commands after their parent's last one, new
    options after a command's own, new choices at the end of an option's."""
    cmds = {c['command']['path']: c for c in table['commands']}
    for new in ours['commands']:
        parent = cmds[new.pop('parent')]
        parent['command']['subcmds'].append(new['command']['path'])
        table['commands'].append(new)
        cmds[new['command']['path']] = new
    # (added to damo's commands, they stay out of the usage synopsis, which
    # keeps damo's bytes in usage errors; --help lists them)
    for path, opts in ours['options'].items():
        cmds[path]['options'].extend(dict(o, ours=True) for o in opts)
    for where, extra in ours['choices'].items():
        path, flag = where.rsplit(' ', 1)
        opt = next(o for o in cmds[path]['options'] if flag in o['flags'])
        opt['choices'] = opt['choices'] + extra
        opt['ours_choices'] = len(extra)


def help_key(o):
    if o['action'] == 'store_false':
        for f in o['flags']:
            if f.startswith('--'):
                return f[2:]
    return o['dest']


USED_HELP = set()   # (section, key) of help.ini entries looked up


def help_of(help_ini, path, o):
    key = help_key(o)
    sect = 'options ' + path
    if help_ini.has_section(sect) and help_ini.has_option(sect, key):
        USED_HELP.add((sect, key))
        return help_ini.get(sect, key)
    USED_HELP.add(('options', key))
    return help_ini.get('options', key, fallback='')


# ---- spec.rs ---------------------------------------------------------------

def spec_entry(help_ini, path, o):
    act = {'store': 'Act::Store', 'append': 'Act::Append',
           'store_true': 'Act::StoreTrue',
           'store_false': 'Act::StoreFalse'}[o['action']]
    n = o['nargs']
    nargs = {0: 'Nargs::Zero', 1: 'Nargs::One', '?': 'Nargs::Optional',
             '*': 'Nargs::Any', '+': 'Nargs::AtLeastOne'}.get(
        n, 'Nargs::Exactly(%s)' % n)
    ty = {'int': 'Ty::Int', 'float': 'Ty::Float'}.get(o['type'], 'Ty::Str')
    d = o['default']
    if isinstance(d, bool):
        dflt = 'Dflt::Bool(%s)' % ('true' if d else 'false')
    elif d is None:
        dflt = 'Dflt::None'
    elif isinstance(d, list):
        dflt = 'Dflt::List(&[%s])' % ', '.join(rs(x) for x in d)
    else:
        dflt = 'Dflt::Str(%s)' % rs(d)
    return ('OptSpec { flags: &[%s], dest: %s, act: %s, nargs: %s, ty: %s, '
            'dflt: %s, choices: &[%s], metavar: &[%s], hidden: %s, '
            'ours: %s, ours_choices: %d, help: %s }') % (
        ', '.join(rs(f) for f in o['flags']), rs(o['dest']), act, nargs, ty,
        dflt, ', '.join(rs(c) for c in o['choices']),
        ', '.join(rs(m) for m in o['metavar']),
        'true' if o['hidden'] else 'false',
        'true' if o.get('ours') else 'false', o.get('ours_choices', 0),
        rs(help_of(help_ini, path, o)))


def static_name(path):
    return 'CMD_' + (path.replace(' ', '_').upper() if path else 'ROOT')


def gen_spec(table, help_ini):
    out = ['// @generated by tools/gen-cli-spec.py from damo 3.4.3\'s command',
           '// line (tools/cli/damo-3.4.3.json) and our help texts',
           '// (tools/cli/help.ini).  Do not edit by hand; regenerate instead.',
           '#![allow(clippy::all)]', 'use super::spec_types::*;', '']
    for c in table['commands']:
        head = c['command']
        path = head['path']
        about = help_ini.get('about', path or 'damo', fallback='')
        out.append('pub static %s: CmdSpec = CmdSpec {' % static_name(path))
        out.append('    path: %s,' % rs(path))
        out.append('    about: %s,' % rs(about))
        for key in ('options', 'positionals'):
            name = 'opts' if key == 'options' else 'positionals'
            items = c[key]
            if not items:
                out.append('    %s: &[],' % name)
                continue
            out.append('    %s: &[' % name)
            for o in items:
                out.append('        %s,' % spec_entry(help_ini, path, o))
            out.append('    ],')
        out.append('    subcmds: &[%s],' % ', '.join(
            '&' + static_name(s) for s in head['subcmds']))
        out.append('    subcmd_dest: %s,' % rs(head['subcmd_dest']))
        out.append('    subcmd_metavar: %s,' % rs(head['subcmd_metavar']))
        out.append('    subcmd_required: %s,' % (
            'true' if head['subcmd_required'] else 'false'))
        out.append('};')
        out.append('')
    return '\n'.join(out)


# ---- opts.rs ---------------------------------------------------------------

def def_key(o):
    return json.dumps({k: v for k, v in o.items()
                       if k not in ('hidden', 'ours', 'ours_choices')},
                      sort_keys=True)


def arguments(c):
    """A command's arguments, one per dest (paired flags share one)."""
    seen, out = set(), []
    for o in c['options'] + c['positionals']:
        if o['dest'] in seen:
            continue
        seen.add(o['dest'])
        out.append(o)
    return out


def choice_enums(table):
    enums = {}
    for c in table['commands']:
        for o in c['options'] + c['positionals']:
            if o['choices']:
                vals = enums.setdefault(o['dest'], [])
                for v in o['choices']:
                    if v not in vals:
                        vals.append(v)
    return enums


def scalar_type(o, path):
    if (path, o['dest']) in SPECIAL:
        return SPECIAL[(path, o['dest'])][0]
    if (path, o['dest']) in UNITS:
        return UNITS[(path, o['dest'])][0]
    if o['dest'] in UNITS:
        return UNITS[o['dest']][0]
    if o['choices']:
        return camel(o['dest'])
    if o['type'] == 'int':
        return WIDTH.get(o['dest'], 'i128')
    if o['type'] == 'float':
        return 'f64'
    return 'String'


def field(o, path):
    """(Rust type, conversion expression) of one argument."""
    d, t = o['dest'], scalar_type(o, path)
    kind = ('choice' if o['choices'] else
            {'int': 'int', 'float': 'float'}.get(o['type'], 'text'))
    if (path, d) in SPECIAL:
        kind = SPECIAL[(path, d)][1]
    elif (path, d) in UNITS:
        kind = UNITS[(path, d)][1]
    elif d in UNITS:
        kind = UNITS[d][1]
    n, act = o['nargs'], o['action']
    if act in ('store_true', 'store_false'):
        return 'bool', 'a.flag(%s)' % rs(d)
    if (path, d) in WHOLE:
        t, kind = WHOLE[(path, d)]
        if act == 'append':
            return 'Vec<%s>' % t, 'conv::whole_occurrences(a, %s, conv::%s)?' % (
                rs(d), kind)
        return 'Option<%s>' % t, (
            'conv::if_given(a, %s, |a, d| conv::whole(a, d, conv::%s))?' % (
                rs(d), kind))
    if act == 'append':
        if n == 1:
            return 'Vec<%s>' % t, 'conv::occurrences(a, %s, conv::%s)?' % (
                rs(d), kind)
        return ('Vec<Vec<%s>>' % t,
                'conv::occurrence_lists(a, %s, conv::%s)?' % (rs(d), kind))
    # damo's `[None] * n` defaults mean "not given"
    dflt = o['default']
    has_default = dflt is not None and dflt != 'None' and not (
        isinstance(dflt, list) and 'None' in dflt)
    shape = 'one' if n in (1, '?') else 'list'
    expr = 'conv::%s(a, %s, conv::%s)?' % (shape, rs(d), kind)
    t = t if shape == 'one' else 'Vec<%s>' % t
    if has_default:
        return t, 'conv::present(%s, %s)?' % (expr, rs(d))
    return 'Option<%s>' % t, (
        'conv::if_given(a, %s, |a, d| conv::%s(a, d, conv::%s))?' % (
            rs(d), shape, kind))


def doc(text, indent):
    if not text:
        return []
    return ['%s/// %s' % (indent, text)]


def gen_opts(table, help_ini):
    cmds = {c['command']['path']: c for c in table['commands']}
    groups = {}     # struct name -> (field, [arguments], first command)
    member = {}     # command path -> [(struct, field, dests)]
    for struct, fname, paths in GROUPS:
        defs = [{o['dest']: def_key(o) for o in arguments(cmds[p])}
                for p in paths]
        args = [o for o in arguments(cmds[paths[0]])
                if all(defs[0][o['dest']] == d.get(o['dest']) for d in defs)]
        if not args:
            sys.exit('group %s: no common options' % struct)
        groups[struct] = (fname, args, paths[0])
        for p in paths:
            member.setdefault(p, []).append(
                (struct, fname, {o['dest'] for o in args}))

    out = ['// @generated by tools/gen-cli-spec.py from damo 3.4.3\'s command',
           '// line (tools/cli/damo-3.4.3.json) and our help texts',
           '// (tools/cli/help.ini).  Do not edit by hand; regenerate instead.',
           '//! Typed options: one struct per command, filled once by',
           '//! [`Command::from_args`] from the parsed command line.  Nothing',
           '//! outside `cli` names an option: a misspelled one does not compile.',
           '#![allow(clippy::all)]',
           'use anyhow::Result;', '',
           'use std::time::Duration;', '',
           'use super::conv::{self, Choice};',
           'use super::parse::Args;',
           'use crate::fmt::pynum::Num;', '']

    for dest, vals in sorted(choice_enums(table).items()):
        name = camel(dest)
        out.append('/// The choices of `--%s`.' % dest)
        out.append('#[derive(Debug, Clone, Copy, PartialEq, Eq)]')
        out.append('pub enum %s {' % name)
        for v in vals:
            out.append('    %s,' % camel(v))
        out.append('}')
        out.append('')
        out.append('impl Choice for %s {' % name)
        out.append('    fn parse(s: &str) -> Option<Self> {')
        out.append('        match s {')
        for v in vals:
            out.append('            %s => Some(Self::%s),' % (rs(v), camel(v)))
        out.append('            _ => None,')
        out.append('        }')
        out.append('    }')
        out.append('    fn as_str(&self) -> &\'static str {')
        out.append('        match self {')
        for v in vals:
            out.append('            Self::%s => %s,' % (camel(v), rs(v)))
        out.append('        }')
        out.append('    }')
        out.append('}')
        out.append('')

    def emit_struct(name, path, args, subgroups, about, with_argv):
        fields, inits = [], []
        for struct, fname, _ in subgroups:
            fields += ['    /// The %s options.' % groups[struct][0].replace(
                '_', ' '), '    pub %s: %s,' % (fname, struct)]
            inits.append('            %s: %s::from_args(a)?,' % (fname, struct))
        for o in args:
            t, e = field(o, path)
            fields += doc(help_of(help_ini, path, dict(o, action='store')), '    ')
            fields.append('    pub %s: %s,' % (field_name(o['dest']), t))
            inits.append('            %s: %s,' % (field_name(o['dest']), e))
        if with_argv:
            fields += ['    /// The whole command line, for options whose '
                       'meaning depends on', '    /// where they stand.',
                       '    pub argv: Vec<String>,']
            inits.append('            argv: a.argv.clone(),')
        if about:
            out.append('/// `damo %s`: %s.' % (path, about))
        out.append('#[derive(Debug, Clone)]')
        out.append('pub struct %s {' % name)
        out.extend(fields)
        out.append('}')
        out.append('')
        out.append('impl %s {' % name)
        out.append('    pub fn from_args(%sa: &Args) -> Result<Self> {' % (
            '' if inits else '_'))
        out.append('        Ok(Self {')
        out.extend(inits)
        out.append('        })')
        out.append('    }')
        if with_argv:
            # damo's checks of which options were given (a flag set, a
            # value present); options with defaults cannot tell
            out.append('')
            out.append('    /// The options given on the command line (of those '
                       'without a default).')
            out.append('    pub fn given_options(&self) -> Vec<&\'static str> {')
            out.append('        let mut v = Vec::new();')
            for o in args:
                t, _ = field(o, path)
                f = field_name(o['dest'])
                if t == 'bool':
                    test = 'self.%s' % f
                elif t.startswith('Option<'):
                    test = 'self.%s.is_some()' % f
                elif t.startswith('Vec<') and o['action'] == 'append':
                    test = '!self.%s.is_empty()' % f
                else:
                    continue
                out.append('        if %s {' % test)
                out.append('            v.push(%s);' % rs(o['dest']))
                out.append('        }')
            out.append('        v')
            out.append('    }')
        out.append('}')
        out.append('')

    for struct, (fname, args, path) in groups.items():
        out.append('/// Options shared by %s.' % ', '.join(
            '`%s`' % p for p in next(g[2] for g in GROUPS if g[0] == struct)))
        emit_struct(struct, path, args, [], '', struct == 'DamonParams')

    leaves = [c for c in table['commands']
              if not c['command']['subcmds'] and c['command']['path']]
    for c in leaves:
        path = c['command']['path']
        subgroups = member.get(path, [])
        taken = set().union(*[g[2] for g in subgroups]) if subgroups else set()
        args = [o for o in arguments(c) if o['dest'] not in taken]
        emit_struct(camel(path), path, args, subgroups,
                    help_ini.get('about', path, fallback=''), False)

    out.append('/// The command chosen, with its options.')
    out.append('#[derive(Debug, Clone)]')
    out.append('pub enum Command {')
    for c in leaves:
        out.append('    %s(%s),' % (camel(c['command']['path']),
                                    camel(c['command']['path'])))
    out.append('}')
    out.append('')
    out.append('impl Command {')
    out.append('    /// Converts the parsed arguments into the chosen command\'s')
    out.append('    /// options: every value\'s type, unit and range is checked here.')
    out.append('    pub fn from_args(a: &Args) -> Result<Self> {')
    out.append('        Ok(match a.cmd.path {')
    for c in leaves:
        p = c['command']['path']
        out.append('            %s => Self::%s(%s::from_args(a)?),' % (
            rs(p), camel(p), camel(p)))
    out.append('            path => anyhow::bail!("no options for command \'{path}\'"),')
    out.append('        })')
    out.append('    }')
    out.append('}')
    return '\n'.join(out) + '\n'


def main():
    table, help_ini = load()
    with open(os.path.join(ROOT, 'src', 'cli', 'spec.rs'), 'w') as f:
        f.write(gen_spec(table, help_ini) + '\n')
    with open(os.path.join(ROOT, 'src', 'cli', 'opts.rs'), 'w') as f:
        f.write(gen_opts(table, help_ini))
    paths = {c['command']['path'] or 'damo' for c in table['commands']}
    stale = ['[about] %s' % k for k in help_ini.options('about')
             if k not in paths]
    stale += ['[%s] %s' % (sect, k) for sect in help_ini.sections()
              if sect.startswith('options') for k in help_ini.options(sect)
              if (sect, k) not in USED_HELP]
    if stale:
        sys.exit('tools/cli/help.ini: entries no option or command uses: %s'
                 % ', '.join(stale))


main()
