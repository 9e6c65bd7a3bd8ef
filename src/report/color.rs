//! Terminal colors of damo's ASCII heatmaps and region boxes: 256-color
//! background/foreground pairs per level 0..=9 of three color sets.

use std::sync::atomic::{AtomicBool, Ordering};

/// The highest color level.
pub const MAX_LEVEL: usize = 9;

/// Ends a colored span.
const END: &str = "\x1b[0m";

/// Whether colors are off (`NO_COLOR`, `--color never`, or `--color auto`
/// off a terminal): the levels are then printed as their digits alone.
static OFF: AtomicBool = AtomicBool::new(false);

/// Turns colors on or off for this process (the command layer decides,
/// once, before any report runs).
pub fn set_enabled(on: bool) {
    OFF.store(!on, Ordering::Relaxed);
}

fn enabled() -> bool {
    !OFF.load(Ordering::Relaxed)
}

/// The sequence that ends a colored span (nothing with colors off).
pub fn end() -> &'static str {
    if enabled() { END } else { "" }
}

/// (background, foreground) codes per level of the color set `name`
/// (`gray` for unknown names).
fn colorset(name: &str) -> ([u8; 10], [u8; 10]) {
    match name {
        "flame" => (
            [232, 1, 1, 2, 3, 3, 20, 21, 26, 27],
            [239, 235, 237, 239, 243, 245, 247, 249, 251, 255],
        ),
        "emotion" => (
            [232, 234, 20, 21, 26, 2, 3, 1, 1, 1],
            [239, 235, 237, 239, 243, 245, 247, 249, 251, 255],
        ),
        _ => (
            [232; 10],
            [237, 239, 241, 243, 245, 247, 249, 251, 253, 255],
        ),
    }
}

/// The escape sequence that starts `level` of `set` (levels above
/// [`MAX_LEVEL`] use the top color).
pub fn start(set: &str, level: usize) -> String {
    if !enabled() {
        return String::new();
    }
    let (bg, fg) = colorset(set);
    let l = level.min(MAX_LEVEL);
    format!("\x1b[48;5;{}m\x1b[38;5;{}m", bg[l], fg[l])
}

/// `txt` in the color of `level`.
pub fn colored(txt: &str, set: &str, level: usize) -> String {
    format!("{}{txt}{}", start(set, level), end())
}

/// Every level of `set`, each shown as its number, then the reset code.
pub fn samples(set: &str) -> String {
    let mut s: String = (0..=MAX_LEVEL)
        .map(|l| format!("{}{l}", start(set, l)))
        .collect();
    s.push_str(end());
    s
}
