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

/// Which of a command's outputs go to an 80x24 pseudo-terminal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnTerminal {
    Stdout,
    Stderr,
}

/// A new 80x24 pseudo-terminal.
pub fn pty_80x24() -> nix::pty::OpenptyResult {
    let size = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    nix::pty::openpty(Some(&size), None).expect("openpty")
}

/// Runs `c` with one output on an 80x24 pseudo-terminal (the other piped):
/// whether it succeeded, the piped output, and what the terminal received.
pub fn on_pty(mut c: std::process::Command, which: OnTerminal) -> (bool, Vec<u8>, Vec<u8>) {
    use std::io::Read;
    use std::process::Stdio;
    let pty = pty_80x24();
    match which {
        OnTerminal::Stdout => c.stdout(Stdio::from(pty.slave)).stderr(Stdio::piped()),
        OnTerminal::Stderr => c.stdout(Stdio::piped()).stderr(Stdio::from(pty.slave)),
    };
    let child = c.spawn().expect("run damo");
    drop(c); // the parent's copy of the terminal's slave side
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child closed the last slave descriptor
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let out = child.wait_with_output().expect("wait");
    let tty = reader.join().expect("reader");
    let piped = match which {
        OnTerminal::Stdout => out.stderr,
        OnTerminal::Stderr => out.stdout,
    };
    (out.status.success(), piped, tty)
}
