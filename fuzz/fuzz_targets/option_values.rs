//! Any text as an option value (sizes, times, percentages, counts, the
//! record filter's ranges), and any words as a command line for the
//! argparse-compatible parser.
#![no_main]

use damo::fmt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = fmt::text_to_bytes(text);
    let _ = fmt::text_to_ns(text);
    let _ = fmt::text_to_us(text);
    let _ = fmt::text_to_ms(text);
    let _ = fmt::text_to_sec(text);
    let _ = fmt::text_to_nr(text);
    let _ = fmt::text_to_percent(text);
    let _ = fmt::text_to_permil(text);
    let _ = fmt::text_to_bp(text);
    let _ = fmt::text_to_ratio(text);
    if let Ok(v) = fmt::text_to_bytes(text) {
        let _ = fmt::format_sz(v, false);
        let _ = fmt::format_time_ns(v, false);
        let _ = fmt::format_percent(v, false);
    }
    // words of a command line: the parser must answer every one of them
    // with arguments, help or a usage error
    let argv: Vec<String> = text.split('\0').map(String::from).collect();
    let _ = damo::cli::parse_args(&argv);
});
