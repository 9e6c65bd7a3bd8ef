//! Writing report text to stdout.
//!
//! damo pages long reports through `less`; we write directly (a pager is
//! the user's choice: `damo report ... | less -R`).  A closed pipe
//! (`damo report ... | head`) is not an error.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// The last byte written to stdout (0: nothing yet).
static LAST_BYTE: AtomicU8 = AtomicU8::new(0);

fn wrote(bytes: &[u8]) {
    if let Some(&b) = bytes.last() {
        LAST_BYTE.store(b, Ordering::Relaxed);
    }
}

/// Ends the last line on a terminal: damo leaves long (paged) reports and
/// some short ones without a final newline, which sticks the shell's
/// prompt to their last line.  Pipes and files keep damo's bytes.
pub fn end_line_on_terminal() {
    use std::io::IsTerminal;
    let last = LAST_BYTE.load(Ordering::Relaxed);
    if last != 0 && last != b'\n' && std::io::stdout().is_terminal() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\n").and_then(|()| out.flush());
        LAST_BYTE.store(b'\n', Ordering::Relaxed);
    }
}

/// Writes a long report the way damo shows it: damo prints text that fits
/// the terminal (50 lines when stdout is not one) with a trailing newline,
/// and pages longer text through `less`, which shows it without that
/// newline.  We never start a pager, but keep the bytes the same.
pub fn print_paged(text: &str) -> anyhow::Result<()> {
    let mut out = PagedOut::new();
    out.piece(text)?;
    out.finish()
}

/// The number of lines damo's pager rule allows before paging: the
/// terminal's height, or 50 when stdout is not a terminal.
fn pager_lines() -> usize {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        crossterm::terminal::size()
            .map(|(_, rows)| rows as usize)
            .unwrap_or(50)
    } else {
        50
    }
}

/// [`print_paged`] for text produced piece by piece: pieces are joined with
/// newlines, held back only until they are too long to fit (then damo
/// would page them, without the final newline), so memory stays bounded.
pub struct PagedOut {
    limit: usize,
    held: String,
    newlines: usize,
    out: Option<std::io::BufWriter<std::io::StdoutLock<'static>>>,
    pieces: usize,
    /// End with a newline however long the text is (damo's unpaged
    /// `print`).
    always_newline: bool,
}

impl Default for PagedOut {
    fn default() -> Self {
        Self::new()
    }
}

impl PagedOut {
    pub fn new() -> Self {
        PagedOut {
            limit: pager_lines(),
            held: String::new(),
            newlines: 0,
            out: None,
            pieces: 0,
            always_newline: false,
        }
    }

    /// Streams everything and ends with a newline, like a plain `print`.
    pub fn unpaged() -> Self {
        PagedOut {
            limit: 0,
            always_newline: true,
            ..Self::new()
        }
    }

    fn write(&mut self, s: &str) -> anyhow::Result<()> {
        if let Some(out) = self.out.as_mut() {
            wrote(s.as_bytes());
            return io_result(out.write_all(s.as_bytes()));
        }
        self.held.push_str(s);
        self.newlines += s.matches('\n').count();
        if self.newlines > self.limit {
            crate::progress::before_stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let held = std::mem::take(&mut self.held);
            wrote(held.as_bytes());
            io_result(out.write_all(held.as_bytes()))?;
            self.out = Some(out);
        }
        Ok(())
    }

    /// Adds one piece (a newline goes between pieces).
    pub fn piece(&mut self, s: &str) -> anyhow::Result<()> {
        if self.pieces > 0 {
            self.write("\n")?;
        }
        self.pieces += 1;
        self.write(s)
    }

    /// Writes what is held, with the final newline if the text was short.
    pub fn finish(mut self) -> anyhow::Result<()> {
        match self.out.as_mut() {
            Some(out) => {
                if self.always_newline {
                    wrote(b"\n");
                    io_result(out.write_all(b"\n"))?;
                }
                io_result(out.flush())
            }
            None => print(&format!("{}\n", self.held)),
        }
    }
}

/// Byte-level access for writers (JSON text); the text must be UTF-8 per
/// write call.
impl std::io::Write for PagedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        PagedOut::write(self, text).map_err(|e| {
            if e.is::<BrokenPipe>() {
                std::io::Error::from(std::io::ErrorKind::BrokenPipe)
            } else {
                std::io::Error::other(e.to_string())
            }
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn io_result(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Marks an error that only means "stdout went away".
#[derive(Debug, thiserror::Error)]
#[error("broken pipe")]
pub struct BrokenPipe;

/// Writes `text` to stdout as is.
pub fn print(text: &str) -> anyhow::Result<()> {
    crate::progress::before_stdout();
    let mut out = std::io::stdout().lock();
    wrote(text.as_bytes());
    let r = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Prints `damo: warning: <text>` on stderr (a progress bar gives way).
pub fn warn(text: &str) {
    crate::progress::before_stdout();
    eprintln!("damo: warning: {text}");
}

/// Exit with this status, having already printed what there is to say.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub struct Exit(pub u8);
