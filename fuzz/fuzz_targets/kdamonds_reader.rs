//! Any text as a kdamonds description, JSON or YAML (`start FILE`,
//! `--kdamonds`, `report damon --input_file`), then staged-form checks
//! and the JSON/YAML writers on what was read.
#![no_main]

use damo::damon::input::{kdamonds_from_doc, kdamonds_from_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut all = Vec::new();
    if let Ok(k) = kdamonds_from_json(text) {
        all.push(k);
    }
    if let Ok(doc) = damo::damon::yaml::load(text, "fuzz input")
        && let Ok(k) = kdamonds_from_doc(&doc)
    {
        all.push(k);
    }
    for kdamonds in all {
        let _ = damo::sysfs::stage::check(&kdamonds);
        for k in &kdamonds {
            let js = k.to_js(false, false);
            let _ = damo::damon::yaml::dump(&js);
            let mut out = Vec::new();
            let _ = js.write(&mut out, 0);
        }
    }
});
