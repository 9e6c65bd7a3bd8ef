//! The command layer: every `damo` command's entry point, reached from
//! `main` with the parsed options, converted once into the chosen
//! command's typed options (`cli::opts`).  Library layers below (DAMON
//! model, kernel backends, records, reports) never call up into it.

use anyhow::{Result, bail};

use crate::cli::opts::Command;
use crate::cli::{self, parse::Args};
use crate::report;

/// Runs `module <name> read|write ...` (see [`cli::Outcome::Module`]).
pub fn run_module(name: &str, words: &[String]) -> Result<()> {
    crate::control::modules::generic(name, words)
}

/// Runs the parsed command.
pub fn run(args: &Args) -> Result<()> {
    match Command::from_args(args)? {
        Command::Version(_) => crate::output::print(&format!("{}\n", cli::DAMO_VERSION)),
        Command::ArgsDamon(o) => crate::damon::args::main(&o),
        Command::Start(o) => crate::control::start(&o),
        Command::Stop(o) => crate::control::stop(&o),
        Command::Tune(o) => crate::control::tune(&o),
        Command::Schemes(o) => crate::control::schemes(&o),
        Command::Record(o) => crate::control::record::main(&o),
        Command::Monitor(o) => crate::control::monitor::main(&o),
        Command::Reclaim(o) => crate::control::modules::reclaim(&o.module, "reclaim"),
        Command::ModuleReclaim(o) => crate::control::modules::reclaim(&o.module, "module reclaim"),
        Command::LruSort(o) => crate::control::modules::lru_sort(&o.module, "lru_sort"),
        Command::ModuleLruSort(o) => {
            crate::control::modules::lru_sort(&o.module, "module lru_sort")
        }
        Command::ModuleStatRead(o) => crate::control::modules::stat_read(&o),
        Command::ModuleStatWrite(o) => crate::control::modules::stat_write(&o),
        Command::HelpDamonParamOptions(o) => {
            crate::output::print(&cli::help::damon_param_options(o.category))
        }
        Command::HelpAccessFilterOptions(_) => {
            crate::output::print(&cli::help::access_filter_options())
        }
        Command::HelpAccessFormatOptions(o) => {
            let keywords = report::access::keywords_help(cli::conv::Choice::as_str(&o.subtopic));
            crate::output::print(&keywords.unwrap_or_else(cli::help::access_format_options))
        }
        Command::SetupCliCompletion(_) => cli::complete::setup(),
        Command::Diagnose(o) => report::diagnose::main(&o),
        Command::Replay(o) => crate::replay::main(&o),
        Command::Features(o) => crate::control::features(&o),
        Command::ReportDamon(o) => report::damon::main(&o),
        Command::ReportAccess(o) => report::access::main(&o),
        Command::ReportHeatmap(o) => report::heatmap::main(&o),
        Command::ReportWss(o) => report::wss::main(&o),
        Command::ReportNrRegions(o) => report::nr_regions::main(&o),
        Command::ReportPaLayout(o) => report::pa_layout::main(&o),
        Command::ReportHolistic(o) => report::holistic::main(&o),
        Command::ReportProfile(o) => report::profile::main(&o),
        Command::ReportTrace(o) => report::trace::main(&o),
        Command::ReportSysinfo(o) => report::sysinfo::main(&o),
        Command::ReportRecordInfo(o) => report::record_info::main(&o),
        Command::ReportFootprints(o) => report::footprints::main(&o),
        Command::ReportTimes(o) => report::times::main(&o),
        Command::ArgsAccessesFilter(o) => crate::tools::accesses_filter(&o),
        Command::ArgsAccessesFormat(o) => report::access::args_format(&o),
        Command::Adjust(o) => crate::tools::adjust(&o),
        Command::ConvertRecordFormat(o) => crate::tools::convert_record_format(&o),
        Command::Validate(o) => {
            if crate::tools::validate(&o)? {
                Ok(())
            } else {
                Err(crate::output::Exit(1).into())
            }
        }
        // experimental in damo 3.4.3
        Command::ReportAttrs(_) => bail!(
            "'damo report attrs' is not implemented: it reports DAMON's data attribute \
             probes, an experimental damo interface for kernels not released yet; \
             'damo report access' shows a record's access pattern"
        ),
    }
}
