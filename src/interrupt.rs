//! SIGINT/SIGTERM as a flag: commands that keep DAMON running (`schemes`,
//! `start --include_child_tasks`, recorders) poll it to clean up before
//! they exit, instead of dying half-way.

use std::sync::atomic::{AtomicI32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note(signum: i32) {
    RECEIVED.store(signum, Ordering::SeqCst);
}

/// Catches SIGINT and SIGTERM from now on.
pub fn catch() -> anyhow::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(note),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores into an atomic, which is
        // async-signal-safe.
        unsafe { sigaction(sig, &action) }
            .map_err(|e| anyhow::anyhow!("cannot catch {sig}: {e}"))?;
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
