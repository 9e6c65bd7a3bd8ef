//! The command layer: every `damo` command's entry point, reached from
//! `main` with the parsed options, converted once into the chosen
//! command's typed options (`cli::opts`).  Library layers below (DAMON
//! model, kernel backends, records, reports) never call up into it.

use anyhow::Result;

use crate::cli::conv::Choice as _;
use crate::cli::opts::{Command, DamonInterfaceDeprecated};
use crate::cli::{self, parse::Args};
use crate::sysfs::{Interface, Sysfs};

mod args;
mod children;
mod control;
mod metrics;
mod modules;
mod monitor;
mod record;
mod replay;
mod report;
mod tools;

/// The DAMON interface of a DAMON command, checked (see
/// [`Sysfs::open_for`]); `debug_damon` prints every file access
/// (`--debug_damon`).
fn open_sysfs(
    command: &str,
    debug_damon: bool,
    interface: DamonInterfaceDeprecated,
) -> Result<Sysfs> {
    let mut fs = Sysfs::open_for(command, Interface::named(interface.as_str()))?;
    if debug_damon {
        fs.set_debug(Some(Box::new(|line| println!("{line}"))));
    }
    Ok(fs)
}

/// Runs `module <name> read|write ...` (see [`cli::Outcome::Module`]).
pub fn run_module(name: &str, words: &[String]) -> Result<()> {
    modules::generic(name, words)
}

/// Runs the parsed command; on a terminal, its output ends with a newline.
pub fn run(args: &Args, globals: cli::Globals) -> Result<()> {
    let r = run_command(args, globals);
    crate::output::end_line_on_terminal();
    r
}

fn run_command(args: &Args, globals: cli::Globals) -> Result<()> {
    crate::progress::enable_on_terminal();
    use std::io::IsTerminal;
    crate::report::color::set_enabled(match globals.color {
        Some(cli::ColorWhen::Always) => true,
        Some(cli::ColorWhen::Never) => false,
        Some(cli::ColorWhen::Auto) => {
            !crate::env::get().no_color && std::io::stdout().is_terminal()
        }
        // damo's default: colors, on a terminal or not
        None => !crate::env::get().no_color,
    });
    match Command::from_args(args)? {
        Command::Version(_) => crate::output::print(&format!("{}\n", cli::DAMO_VERSION)),
        Command::ArgsDamon(o) => args::damon(&o),
        Command::Start(o) => control::start(&o),
        Command::Stop(o) => control::stop(&o),
        Command::Tune(o) => control::tune(&o),
        Command::Schemes(o) => control::schemes(&o),
        Command::Record(o) => record::main(&o),
        Command::Monitor(o) => monitor::main(&o),
        Command::Reclaim(o) => modules::reclaim(&o.module, "reclaim"),
        Command::ModuleReclaim(o) => modules::reclaim(&o.module, "module reclaim"),
        Command::LruSort(o) => modules::lru_sort(&o.module, "lru_sort"),
        Command::ModuleLruSort(o) => modules::lru_sort(&o.module, "module lru_sort"),
        Command::ModuleStatRead(o) => modules::stat_read(&o),
        Command::ModuleStatWrite(o) => modules::stat_write(&o),
        Command::HelpDamonParamOptions(o) => {
            crate::output::print(&cli::help::damon_param_options(o.category))
        }
        Command::HelpAccessFilterOptions(_) => {
            crate::output::print(&cli::help::access_filter_options())
        }
        Command::HelpAccessFormatOptions(o) => {
            let keywords =
                crate::report::access::keywords_help(cli::conv::Choice::as_str(&o.subtopic));
            crate::output::print(&keywords.unwrap_or_else(cli::help::access_format_options))
        }
        Command::SetupCliCompletion(_) => cli::complete::setup(),
        Command::Diagnose(o) => report::diagnose(&o),
        Command::Replay(o) => replay::main(&o),
        Command::Features(o) => control::features(&o),
        Command::ReportDamon(o) => report::damon(&o),
        Command::ReportAccess(o) => report::access(&o),
        Command::ReportHeatmap(o) => crate::report::heatmap::main(&o),
        Command::ReportWss(o) => crate::report::wss::main(&o),
        Command::ReportNrRegions(o) => crate::report::nr_regions::main(&o),
        Command::ReportPaLayout(o) => crate::report::pa_layout::main(&o),
        Command::ReportHolistic(o) => crate::report::holistic::main(&o),
        Command::ReportProfile(o) => crate::report::profile::main(&o),
        Command::ReportTrace(o) => report::trace(&o),
        Command::ReportSysinfo(o) => report::sysinfo(&o),
        Command::ReportRecordInfo(o) => crate::report::record_info::main(&o),
        Command::ReportFootprints(o) => crate::report::footprints::main(&o),
        Command::ReportTimes(o) => crate::report::times::main(&o),
        Command::ArgsAccessesFilter(o) => tools::accesses_filter(&o),
        Command::ArgsAccessesFormat(o) => crate::report::access::args_format(&o),
        Command::Adjust(o) => tools::adjust(&o),
        Command::ConvertRecordFormat(o) => tools::convert_record_format(&o),
        Command::Validate(o) => {
            if tools::validate(&o)? {
                Ok(())
            } else {
                Err(crate::output::Exit(1).into())
            }
        }
        Command::ReportAttrs(o) => report::attrs(&o),
        Command::ReportMetrics(o) => metrics::main(&o),
    }
}
