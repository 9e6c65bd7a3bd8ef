//! Signals.  [`init`] (called first thing in `main`) hands SIGINT,
//! SIGTERM and SIGHUP to a thread of their own (signal-hook's self-pipe),
//! so that any command they end first removes its temporary files
//! (`outfile`), then dies of the signal as it would have.  Commands that
//! keep DAMON running (`schemes`, `start --include_child_tasks`,
//! recorders) call [`catch`]: from then on SIGINT and SIGTERM become a
//! flag that they poll, to clean up before they exit instead of dying
//! half-way.  No signal is blocked, so child processes start as usual.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// `catch` was called: SIGINT and SIGTERM only set `RECEIVED`.
static CATCHING: AtomicBool = AtomicBool::new(false);

/// Starts the signal thread.
pub fn init() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if CATCHING.load(Ordering::SeqCst) && sig != SIGHUP {
                    RECEIVED.store(sig, Ordering::SeqCst);
                    continue;
                }
                crate::outfile::remove_temporaries();
                // dies of the signal, as with its default action
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                std::process::exit(128 + sig);
            }
        });
}

/// Catches SIGINT and SIGTERM from now on (also without `init`, as when
/// the library is used on its own).
pub fn catch() -> anyhow::Result<()> {
    CATCHING.store(true, Ordering::SeqCst);
    for sig in [SIGINT, SIGTERM] {
        // SAFETY: the action only stores into an atomic, which is
        // async-signal-safe.
        unsafe {
            signal_hook::low_level::register(sig, move || RECEIVED.store(sig, Ordering::SeqCst))
        }
        .map_err(|e| anyhow::anyhow!("cannot catch signal {sig}: {e}"))?;
    }
    Ok(())
}

/// The signal received since `catch`, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// A wait that a caught signal ended: the command exits with status 128 +
/// the signal number, having said all it had to.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by signal {0}")]
pub struct Interrupted(pub i32);

impl Interrupted {
    /// The exit status: 128 + the signal number.
    pub fn status(&self) -> u8 {
        u8::try_from(128 + self.0.clamp(0, 127)).unwrap_or(255)
    }
}

/// Sleeps up to `dur`, waking early when a signal arrives; returns the
/// signal if one did.
pub fn sleep(dur: std::time::Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + dur;
    loop {
        if let Some(s) = received() {
            return Some(s);
        }
        let now = std::time::Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep((deadline - now).min(std::time::Duration::from_millis(50)));
    }
}
