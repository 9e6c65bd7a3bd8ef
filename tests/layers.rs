//! The top-level modules of src/ depend one way: no module reaches, by
//! `crate::` paths, a module that reaches back to it (directly or through
//! others).  The graph is read from the sources (comments and `#[cfg(test)]`
//! code left out), so a new `use` that closes a cycle fails here, naming it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The end (exclusive) of the item that starts at `from`: its `;`, or the
/// `}` matching its first `{`; string and character literals skipped.
fn item_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // a string (raw strings: no escapes, ended by "#...)
                let raw = i > 0 && (b[i - 1] == b'r' || b[i - 1] == b'#');
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' && !raw { 2 } else { 1 };
                }
            }
            b'\'' if i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') => {
                // a char literal ('x', '\n'); lifetimes are left alone
                i += if b[i + 1] == b'\\' { 3 } else { 2 };
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The code of a file without comments and without `#[cfg(test)]` items
/// (test modules, test-only helpers).
fn code(text: &str) -> String {
    let text: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = at + "#[cfg(test)]".len();
        let end = item_end(rest.as_bytes(), after);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The top-level modules `code` names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a::b, c, d::{e, f}}: the first name of each item
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                        out.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    c if c.is_whitespace() => {}
                    _ => item_start = false,
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("under src");
        let first = rel
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if first == "main" || first == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let deps = g.entry(first.clone()).or_default();
        deps.extend(uses(&code(&text)).into_iter().filter(|m| *m != first));
    }
    g
}

/// A cycle through `start`, if there is one: the path of modules.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in g.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(g, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(g, start, start, &mut path, &mut seen).then_some(path)
}

fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    g.keys()
        .filter_map(|m| cycle_from(g, m))
        .map(|p| p.join(" -> "))
        .collect()
}

#[test]
fn top_level_modules_depend_one_way() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let g = graph(&src);
    assert!(g.len() >= 10, "modules found: {:?}", g.keys());
    let found = cycles(&g);
    let listing: Vec<String> = g
        .iter()
        .map(|(m, d)| {
            format!(
                "  {m} -> {}",
                d.iter().cloned().collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules that depend on each other:\n  {}\nthe graph:\n{}",
        found.join("\n  "),
        listing.join("\n")
    );
    // the command layer is on top: nothing below reaches it
    for (m, deps) in &g {
        assert!(!deps.contains("commands"), "{m} uses the command layer");
    }
}

#[test]
fn the_checker_sees_uses_and_cycles() {
    let u = uses("use crate::a::b;\nuse crate::{c::{d, e}, f};\nlet x = crate::g::h();");
    assert_eq!(
        u.into_iter().collect::<Vec<_>>(),
        ["a", "c", "f", "g"].map(String::from)
    );
    assert!(!uses(&code("// crate::x\nfn f() {}")).contains("x"));
    // a test-only item midway hides only itself
    let c = code(
        "#[cfg(test)]\nfn t() { let s = \"}\"; crate::t::x(); }\nfn f() { crate::kept::y(); }",
    );
    assert!(!c.contains("crate::t") && c.contains("crate::kept"), "{c}");
    let c = code("#[cfg(test)]\nuse crate::t::x;\nuse crate::kept::y;");
    assert!(!c.contains("crate::t") && c.contains("crate::kept"), "{c}");
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    assert!(cycles(&g).is_empty());
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&g)[0], "a -> b -> c -> a");
}

/// Options are read through the typed structs of `cli::opts`: only the
/// command-line layer sees the parsed arguments (`cli::parse::Args`) and
/// the command layer converts them once.
#[test]
fn only_the_command_line_reads_options_by_name() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut offenders = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let top = rel.components().next().expect("a component");
        if ["cli", "commands", "main.rs"].contains(&top.as_os_str().to_string_lossy().as_ref()) {
            continue;
        }
        let text = code(&std::fs::read_to_string(&f).expect("read"));
        if text.contains("parse::Args") || text.contains("cli::parse::") {
            offenders.push(rel.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "these read the parsed arguments instead of typed options: {offenders:?}"
    );
}

/// The layers beneath the reports neither print nor exit: the DAMON
/// model, the kernel backends and the record formats return values and
/// errors, and only the command layer and the reports write to the
/// terminal.  And only the command layer decides what a command may touch
/// (the root check, opening the DAMON interface).  (`interrupt`, the
/// signal handler, ends the process on a signal it does not catch: that
/// is its job.)
#[test]
fn library_layers_return_and_only_commands_open_the_kernel() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let library = [
        "damon",
        "record",
        "sysfs",
        "live.rs",
        "fmt",
        "env.rs",
        "proc.rs",
        "pa_layout.rs",
        "outfile.rs",
    ];
    let mut printing = Vec::new();
    let mut opening = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let top = rel.components().next().expect("a component");
        let top = top.as_os_str().to_string_lossy().to_string();
        let text = code(&std::fs::read_to_string(&f).expect("read"));
        let prints = [
            "println!",
            "print!(",
            "eprintln!",
            "eprint!(",
            "output::",
            "process::exit",
        ]
        .iter()
        .any(|p| text.contains(p));
        if library.contains(&top.as_str()) && prints {
            printing.push(rel.display().to_string());
        }
        let opens = text.contains("require_root_for(") || text.contains("open_for(");
        if opens && top != "commands" && rel != Path::new("sysfs/mod.rs") {
            opening.push(rel.display().to_string());
        }
    }
    assert!(
        printing.is_empty(),
        "library files that print or exit: {printing:?}"
    );
    assert!(
        opening.is_empty(),
        "files below the command layer that check root or open the kernel: {opening:?}"
    );
}
