//! Writing report text to stdout.
//!
//! damo pages long reports through `less`; we write directly (a pager is
//! the user's choice: `damo report ... | less -R`).  A closed pipe
//! (`damo report ... | head`) is not an error.

use std::io::Write;

/// Writes a long report the way damo shows it: damo prints text that fits
/// the terminal (50 lines when stdout is not one) with a trailing newline,
/// and pages longer text through `less`, which shows it without that
/// newline.  We never start a pager, but keep the bytes the same.
pub fn print_paged(text: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let lines = if std::io::stdout().is_terminal() {
        crossterm::terminal::size()
            .map(|(_, rows)| rows as usize)
            .unwrap_or(50)
    } else {
        50
    };
    if text.matches('\n').count() <= lines {
        print(&format!("{text}\n"))
    } else {
        print(text)
    }
}

/// Marks an error that only means "stdout went away".
#[derive(Debug, thiserror::Error)]
#[error("broken pipe")]
pub struct BrokenPipe;

/// Writes `text` to stdout as is.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let r = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Exit with this status, having already printed what there is to say.
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub struct Exit(pub u8);
