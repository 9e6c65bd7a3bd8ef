use std::io::Write;
use std::process::ExitCode;

use damo::cli::{self, Outcome};
use damo::interrupt::Interrupted;
use damo::output::{BrokenPipe, Exit};

fn main() -> ExitCode {
    // the helper that makes one write to a kdamond's command file
    if let Some(code) = damo::sysfs::deadline::helper_main() {
        return ExitCode::from(code);
    }
    damo::interrupt::init();
    let mut argv: Vec<String> = Vec::new();
    for (i, a) in std::env::args_os().skip(1).enumerate() {
        match a.into_string() {
            Ok(s) => argv.push(s),
            Err(a) => {
                eprintln!(
                    "damo: argument {} ({}) is not valid UTF-8: give names and values in UTF-8",
                    i + 1,
                    a.to_string_lossy()
                );
                return ExitCode::from(2);
            }
        }
    }
    let result = match cli::parse_args(&argv) {
        Outcome::Run(a, globals) => damo::commands::run(&a, globals),
        Outcome::Module(name, words) => damo::commands::run_module(&name, &words),
        Outcome::Exit(text, to_stderr, code) => {
            let _ = if to_stderr {
                std::io::stderr().write_all(text.as_bytes())
            } else {
                std::io::stdout().write_all(text.as_bytes())
            };
            return ExitCode::from(code);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<BrokenPipe>() => ExitCode::SUCCESS,
        Err(e) if e.is::<Exit>() => ExitCode::from(e.downcast_ref::<Exit>().map_or(1, |x| x.0)),
        Err(e) if e.is::<Interrupted>() => ExitCode::from(
            e.downcast_ref::<Interrupted>()
                .map_or(130, Interrupted::status),
        ),
        Err(e) => {
            eprintln!("damo: {e:#}");
            ExitCode::FAILURE
        }
    }
}
