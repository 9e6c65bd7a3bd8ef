//! The command layer: every `damo` command's entry point, reached from
//! `main` with the parsed options.  Library layers below (DAMON model,
//! kernel backends, records, reports) never call up into it.

use anyhow::{Result, bail};

use crate::cli::{self, parse::Args};
use crate::report;

/// Runs `module <name> read|write ...` (see [`cli::Outcome::Module`]).
pub fn run_module(name: &str, words: &[String]) -> Result<()> {
    crate::control::modules::generic(name, words)
}

/// Runs the parsed command.
pub fn run(args: &Args) -> Result<()> {
    match args.cmd.path {
        "version" => crate::output::print(&format!("{}\n", cli::DAMO_VERSION)),
        "args damon" => crate::damon::args::main(args),
        "start" => crate::control::start(args),
        "stop" => crate::control::stop(args),
        "tune" => crate::control::tune(args),
        "schemes" => crate::control::schemes(args),
        "record" => crate::control::record::main(args),
        "monitor" => crate::control::monitor::main(args),
        "reclaim" | "module reclaim" => crate::control::modules::reclaim(args),
        "lru_sort" | "module lru_sort" => crate::control::modules::lru_sort(args),
        "module stat read" | "module stat write" => crate::control::modules::stat(args),
        "help damon_param_options"
        | "help access_filter_options"
        | "help access_format_options" => {
            let keywords = match args.cmd.path {
                "help access_format_options" => {
                    args.str("subtopic").and_then(report::access::keywords_help)
                }
                _ => None,
            };
            crate::output::print(&keywords.unwrap_or_else(|| cli::help::topic(args)))
        }
        "setup_cli_completion" => cli::complete::setup(),
        "diagnose" => report::diagnose::main(args),
        "replay" => crate::replay::main(args),
        "features" => crate::control::features(args),
        "report damon" => report::damon::main(args),
        "report access" => report::access::main(args),
        "report heatmap" => report::heatmap::main(args),
        "report wss" => report::wss::main(args),
        "report nr_regions" => report::nr_regions::main(args),
        "report pa_layout" => report::pa_layout::main(args),
        "report holistic" => report::holistic::main(args),
        "report profile" => report::profile::main(args),
        "report trace" => report::trace::main(args),
        "report sysinfo" => report::sysinfo::main(args),
        "report record_info" => report::record_info::main(args),
        "report footprints" => report::footprints::main(args),
        "report times" => report::times::main(args),
        "args accesses_filter" => crate::tools::accesses_filter(args),
        "args accesses_format" => report::access::args_format(args),
        "adjust" => crate::tools::adjust(args),
        "convert_record_format" => crate::tools::convert_record_format(args),
        "validate" => {
            if crate::tools::validate(args)? {
                Ok(())
            } else {
                Err(crate::output::Exit(1).into())
            }
        }
        // only `report attrs` (experimental in damo 3.4.3) comes here
        path => bail!(
            "'damo {path}' is not implemented: it reports DAMON's data attribute \
             probes, an experimental damo interface for kernels not released yet; \
             'damo report access' shows a record's access pattern"
        ),
    }
}
