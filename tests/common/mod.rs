//! Helpers shared by the CLI test crates.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A scratch directory under the system's temporary directory, removed when
/// the test ends; kept (and named on stderr) when the test fails, to look at.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let d = tempfile::Builder::new()
            .prefix(&format!("damo-{tag}-"))
            .tempdir()
            .expect("scratch directory")
            .keep();
        Scratch(d)
    }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("scratch directory kept: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A unified diff of `want` and `got` (as text, lossily), at most
/// `max_lines` lines of it, for failure messages.
pub fn diff(want: &[u8], got: &[u8], max_lines: usize) -> String {
    let (want, got) = (
        String::from_utf8_lossy(want).into_owned(),
        String::from_utf8_lossy(got).into_owned(),
    );
    let text = similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .context_radius(2)
        .header("want", "got")
        .to_string();
    let mut lines: Vec<&str> = text.lines().take(max_lines + 1).collect();
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        lines.push("... (diff cut)");
    }
    lines.join("\n")
}
