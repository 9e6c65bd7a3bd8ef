//! Progress on long work, on a terminal only.
//!
//! When stderr is a terminal, reading a record that takes more than a
//! second (a report, `adjust`, `convert_record_format`, `record` turning
//! its trace into `damon.data`) shows a bar on stderr: the share of the
//! file consumed (the compressed bytes of a `json_compressed` record), the
//! rate and the time left; the bar is cleared when the work ends, and a
//! long write ends with one `damo: wrote FILE (SIZE)` line.  When stderr
//! is not a terminal nothing of this appears, so scripts see the same
//! bytes as with damo 3.4.3.  Once a report starts writing to a terminal
//! stdout the bar gives way for good (the output shows the progress).
//!
//! The record layer only counts bytes through a [`Meter`]; whether and how
//! that is drawn is decided here, once, by the command layer
//! ([`enable_on_terminal`]).  `DAMO_PROGRESS_AFTER=SECONDS` changes the
//! one-second delay (0 shows the bar at once: the tests use it).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Set once output reaches a terminal stdout: no bar after that.
static GIVEN_WAY: AtomicBool = AtomicBool::new(false);
static DELAY: OnceLock<Duration> = OnceLock::new();

/// The bar being drawn, if any, so that stdout output can clear it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Turns progress on when stderr is a terminal.  Called once by the
/// command layer.
pub fn enable_on_terminal() {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        ENABLED.store(true, Ordering::Relaxed);
    }
}

fn delay() -> Duration {
    *DELAY.get_or_init(|| {
        std::env::var("DAMO_PROGRESS_AFTER")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(1))
    })
}

fn showing() -> bool {
    ENABLED.load(Ordering::Relaxed) && !GIVEN_WAY.load(Ordering::Relaxed)
}

/// Output is about to reach stdout.  When stdout is a terminal the bar is
/// cleared and no other one is drawn (the two would share the screen).
pub fn before_stdout() {
    use std::io::IsTerminal;
    if !ENABLED.load(Ordering::Relaxed) || GIVEN_WAY.load(Ordering::Relaxed) {
        return;
    }
    if std::io::stdout().is_terminal() {
        GIVEN_WAY.store(true, Ordering::Relaxed);
        if let Ok(mut active) = ACTIVE.lock()
            && let Some(bar) = active.take()
        {
            bar.finish_and_clear();
        }
    }
}

struct Inner {
    label: String,
    total: u64,
    started: Instant,
    done: AtomicU64,
    bar: Mutex<Option<ProgressBar>>,
    /// Set when the delay passed while progress was off: never check again.
    off: AtomicBool,
}

/// Counts the bytes of one long piece of work; cheap to clone and to move
/// to the thread that does the work.  Drawn only when progress is on and
/// the work lasts longer than the delay.
#[derive(Clone)]
pub struct Meter(Option<Arc<Inner>>);

impl Meter {
    /// A meter of `total` bytes, labelled `label` ("reading damon.data").
    pub fn new(label: impl Into<String>, total: u64) -> Meter {
        if !showing() {
            return Meter(None);
        }
        Meter(Some(Arc::new(Inner {
            label: label.into(),
            total,
            started: Instant::now(),
            done: AtomicU64::new(0),
            bar: Mutex::new(None),
            off: AtomicBool::new(false),
        })))
    }

    /// A meter that never shows.
    pub fn none() -> Meter {
        Meter(None)
    }

    /// A meter for reading the file at `path`, sized by its length.
    pub fn reading(path: &Path) -> Meter {
        if !showing() {
            return Meter(None);
        }
        let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Meter::new(format!("reading {}", file_name(path)), total)
    }

    /// A meter for writing the file at `path` from `total` bytes of input.
    pub fn writing(path: &Path, total: u64) -> Meter {
        if !showing() {
            return Meter(None);
        }
        Meter::new(format!("writing {}", file_name(path)), total)
    }

    /// `n` more bytes are done.
    pub fn add(&self, n: u64) {
        let Some(inner) = &self.0 else { return };
        let done = inner.done.fetch_add(n, Ordering::Relaxed) + n;
        if inner.off.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut bar) = inner.bar.lock() else {
            return;
        };
        match bar.as_ref() {
            Some(b) => b.set_position(done.min(inner.total)),
            None if inner.started.elapsed() >= delay() => {
                if !showing() {
                    inner.off.store(true, Ordering::Relaxed);
                    return;
                }
                let b = new_bar(&inner.label, inner.total);
                b.set_position(done.min(inner.total));
                if let Ok(mut active) = ACTIVE.lock() {
                    *active = Some(b.clone());
                }
                *bar = Some(b);
            }
            None => {}
        }
    }

    /// Clears the bar (also done when the last clone is dropped).
    pub fn finish(&self) {
        if let Some(inner) = &self.0 {
            inner.clear();
        }
    }

    /// Wraps a reader so that its bytes count here.
    pub fn reader<R: Read>(&self, inner: R) -> Counting<R> {
        Counting {
            inner,
            meter: self.clone(),
        }
    }
}

impl Inner {
    fn clear(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(b) = bar.take()
        {
            b.finish_and_clear();
            if let Ok(mut active) = ACTIVE.lock() {
                *active = None;
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.clear();
    }
}

fn new_bar(label: &str, total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    // fits 80 columns: "reading damon.data [=====>    ]  39% of 13.13 MiB, 17.9 MiB/s, 1s left"
    let style = ProgressStyle::with_template(
        "{msg} [{bar:20}] {percent:>3}% of {binary_total_bytes}, {binary_bytes_per_sec}, {eta} left",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_string());
    bar
}

/// The file's name, cut to 24 characters so that the bar fits a line.
fn file_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if name.chars().count() <= 24 {
        return name;
    }
    let head: String = name.chars().take(23).collect();
    format!("{head}~")
}

/// A reader that counts what it reads on a [`Meter`].
pub struct Counting<R> {
    inner: R,
    meter: Meter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.meter.finish();
        } else {
            self.meter.add(n as u64);
        }
        Ok(n)
    }
}

/// After a write that began at `started`: when it took longer than the
/// delay and progress is on, one line that names the file and its size.
pub fn wrote(started: Instant, path: &Path) {
    if !ENABLED.load(Ordering::Relaxed) || started.elapsed() < delay() {
        return;
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "damo: wrote {} ({})",
        path.display(),
        indicatif::BinaryBytes(size)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meter_off_a_terminal_counts_nothing_and_reads_everything() {
        // tests do not run with progress enabled
        let m = Meter::new("x", 10);
        assert!(m.0.is_none());
        let mut r = m.reader(&b"0123456789"[..]);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "0123456789");
    }

    #[test]
    fn long_names_are_cut_on_characters() {
        assert_eq!(file_name(Path::new("/a/damon.data")), "damon.data");
        let long = "é".repeat(30);
        let cut = file_name(Path::new(&long));
        assert_eq!(cut.chars().count(), 24);
        assert!(cut.ends_with('~'));
    }
}
