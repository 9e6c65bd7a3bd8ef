//! `report heatmap --interactive_edit`: after drawing, asks on stdin how to
//! zoom or scroll, then draws again, until `quit` (or the end of input).
//! The prompts and the arithmetic of the new ranges are damo's, so that
//! answers piped in give the same maps.

use std::io::BufRead;

use anyhow::Result;

use super::Draw;
use crate::fmt::pynum::{F, I, Num};
use crate::record::spool::Source;

#[derive(Clone, Copy, PartialEq)]
enum Action {
    Zoom,
    Scroll,
}

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Time,
    Space,
    Both,
}

/// The ranges being drawn.
struct Ranges {
    time: [Num; 2],
    addrs: Vec<[Num; 2]>,
}

impl Ranges {
    /// damo's `edit_time_address_ranges`.
    fn edit(&mut self, action: Action, axis: Axis, ratio: f64) {
        let f = match action {
            Action::Zoom => scale,
            Action::Scroll => shift,
        };
        if axis != Axis::Space {
            self.time = f(self.time, ratio);
        }
        if axis != Axis::Time {
            for r in self.addrs.iter_mut() {
                *r = f(*r, ratio);
            }
        }
    }
}

/// damo's `scale_range`: `ratio` times the size, around the middle.
pub(super) fn scale(r: [Num; 2], ratio: f64) -> [Num; 2] {
    let size = r[1].sub(r[0]);
    let new_size = size.mul(F(ratio));
    let mid = I(r[0].add(size.div(I(2))).trunc());
    let half = new_size.div(I(2));
    [mid.sub(half), mid.add(half)]
}

/// damo's `add_diff_range`: moved by `ratio` times the size.
pub(super) fn shift(r: [Num; 2], ratio: f64) -> [Num; 2] {
    let diff = r[1].sub(r[0]).mul(F(ratio));
    [r[0].add(diff), r[1].add(diff)]
}

const HELP: &str = "\
Answers:
  zoom (or 1)    zoom in or out; asks which axes and by how much
  scroll (or 2)  move the view; asks which axes and by how much
  help (or 3)    show this
  quit (or 0, q) stop
Shortcuts: h and l move left and right, j and k down and up, by 10%;
+ and - zoom in and out by 10%.
";

/// One-key edits: `+`/`-` zoom, `hjkl` scroll like a vi cursor.  On the
/// terminal map, time runs down the rows; on images, up the y axis.
fn shortcut(answer: &str, terminal: bool, r: &mut Ranges) -> bool {
    let (x, y, down, up) = if terminal {
        (Axis::Space, Axis::Time, -0.1, 0.1)
    } else {
        (Axis::Time, Axis::Space, 0.1, -0.1)
    };
    match answer {
        "+" => r.edit(Action::Zoom, Axis::Both, 0.9),
        "-" => r.edit(Action::Zoom, Axis::Both, 1.1),
        "h" => r.edit(Action::Scroll, x, 0.1),
        "j" => r.edit(Action::Scroll, y, down),
        "k" => r.edit(Action::Scroll, y, up),
        "l" => r.edit(Action::Scroll, x, -0.1),
        _ => return false,
    }
    true
}

/// Draws, asks, edits, draws again.
pub(super) fn interactive(
    draw: &Draw,
    src: &mut Source,
    time: [Num; 2],
    addrs: Vec<[Num; 2]>,
) -> Result<()> {
    let mut ranges = Ranges { time, addrs };
    let mut lines = std::io::stdin().lock().lines();
    // None at the end of input, which quits
    let mut ask = |prompt: &str| -> Result<Option<String>> {
        crate::output::print(prompt)?;
        Ok(match lines.next() {
            Some(l) => Some(l?),
            None => None,
        })
    };
    let terminal = draw.output == super::Drawn::Terminal;
    loop {
        crate::output::print(&draw.render(src, ranges.time, &ranges.addrs)?)?;
        loop {
            let Some(answer) = ask("Enter (zoom, scroll, quit, help): ")? else {
                return Ok(());
            };
            let answer = answer.as_str();
            if shortcut(answer, terminal, &mut ranges) {
                break;
            }
            let action = match answer {
                "0" | "q" | "quit" => return Ok(()),
                "3" | "help" => {
                    crate::output::print(HELP)?;
                    continue;
                }
                "1" | "zoom" => Action::Zoom,
                "2" | "scroll" => Action::Scroll,
                _ => {
                    crate::output::print("Wrong input.\n")?;
                    continue;
                }
            };
            let Some(which) = ask("Enter (1. Time, 2. Space, 3. Time and Space): ")? else {
                return Ok(());
            };
            let axis = match which.trim() {
                "1" => Axis::Time,
                "2" => Axis::Space,
                "3" => Axis::Both,
                _ => {
                    crate::output::print("Wrong input: give 1, 2 or 3.\n")?;
                    continue;
                }
            };
            let Some(pct) = ask("Enter percentage: ")? else {
                return Ok(());
            };
            match crate::fmt::pyparse::py_float(pct.trim()) {
                Ok(p) => {
                    ranges.edit(action, axis, p / 100.0);
                    break;
                }
                Err(_) => crate::output::print("Wrong input: give a number.\n")?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_and_scroll_follow_damo() {
        // scale_range([0, 100], 0.9): mid 50, size 90.0
        let z = scale([I(0), I(100)], 0.9);
        assert_eq!((z[0].f(), z[1].f()), (5.0, 95.0));
        // add_diff_range([0, 100], -0.1)
        let s = shift([I(0), I(100)], -0.1);
        assert_eq!((s[0].f(), s[1].f()), (-10.0, 90.0));
        let mut r = Ranges {
            time: [I(0), I(10)],
            addrs: vec![[I(0), I(100)]],
        };
        assert!(shortcut("j", true, &mut r));
        assert_eq!(r.time[0].f(), -1.0);
        assert_eq!(r.addrs[0][0], I(0));
        assert!(!shortcut("x", true, &mut r));
    }
}
