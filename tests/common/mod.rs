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
