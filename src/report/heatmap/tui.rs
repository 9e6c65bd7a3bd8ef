//! `report heatmap --tui`: the heatmap full-screen, driven with keys
//! (crossterm): arrows scroll (left/right: addresses, up/down: time), `+`
//! and `-` zoom both axes, `t`/`T` and `a`/`A` zoom time or addresses in
//! and out, `r` resets, `g` asks for ranges, `q` (or Esc, Ctrl-C) quits.
//! Each view is the map `report heatmap --output stdout` draws for the
//! same ranges and resolution, sized to the terminal, redrawn on resize.

use std::io::Write;

use anyhow::{Result, bail};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};

use super::edit::{scale, shift};
use super::{Draw, Spec, build};
use crate::cli::conv::Choice as _;
use crate::fmt::pynum::Num;
use crate::fmt::{format_sz, format_time_ns};
use crate::record::spool::Source;

/// Lines around the map: the title, the legend and axis lines of the
/// map's text, and the key line.
const CHROME: u16 = 6;

/// The terminal as the TUI found it, restored when dropped (also on
/// errors).
struct Screen;

impl Screen {
    fn enter() -> Result<Screen> {
        terminal::enable_raw_mode()?;
        let s = Screen;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )?;
        Ok(s)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(
            std::io::stdout(),
            cursor::Show,
            terminal::LeaveAlternateScreen
        );
        let _ = terminal::disable_raw_mode();
    }
}

/// The view: the ranges drawn.
#[derive(Clone)]
struct View {
    time: [Num; 2],
    addr: [Num; 2],
}

const KEYS: &str = "arrows scroll  +/- zoom  t/T a/A zoom time/address  r reset  g ranges  q quit";

fn draw_screen(draw: &Draw, src: &mut Source, v: &View, note: &str) -> Result<()> {
    let (cols, rows) = terminal::size()?;
    let resol = [
        i64::from(rows.saturating_sub(CHROME).max(2)),
        i64::from(cols.max(8)),
    ];
    let spec = Spec {
        key: draw.key.clone(),
        time_range: v.time,
        addr_range: v.addr,
        resol,
        df_passed: draw.args.df_passed,
        sort: draw.sort.clone(),
    };
    let map = build(src, &spec)?;
    let text = map.ascii_text(draw.args.stdout_colorset.as_str(), true);
    // the exact ranges in the window's title (what `--time_range` and
    // `--address_range` take to draw the same map), a short form on top
    let exact = format!(
        "damo heatmap: time {} {} ns, address {} {}",
        v.time[0].repr(),
        v.time[1].repr(),
        v.addr[0].repr(),
        v.addr[1].repr()
    );
    let title = format!(
        "time {} - {}, space {} - {}{}",
        format_time_ns(v.time[0], false),
        format_time_ns(v.time[1], false),
        format_sz(v.addr[0], false),
        format_sz(v.addr[1], false),
        if note.is_empty() {
            String::new()
        } else {
            format!("  ({note})")
        }
    );
    let fit = |s: &str| s.chars().take(usize::from(cols)).collect::<String>();
    let mut out = std::io::stdout().lock();
    queue!(
        out,
        terminal::SetTitle(exact),
        terminal::Clear(terminal::ClearType::All),
        cursor::MoveTo(0, 0)
    )?;
    write!(out, "{}\r\n", fit(&title))?;
    for line in text.lines() {
        // map rows are colored cells, one per column: already fitted
        if line.starts_with('#') {
            write!(out, "{}\r\n", fit(line))?;
        } else {
            write!(out, "{line}\r\n")?;
        }
    }
    write!(out, "{}", fit(KEYS))?;
    out.flush()?;
    Ok(())
}

/// Reads a line at the bottom of the screen (Enter ends it, Esc gives
/// `None`).
fn ask(prompt: &str) -> Result<Option<String>> {
    let (_, rows) = terminal::size()?;
    let mut answer = String::new();
    loop {
        {
            let mut out = std::io::stdout().lock();
            queue!(
                out,
                cursor::MoveTo(0, rows.saturating_sub(1)),
                terminal::Clear(terminal::ClearType::CurrentLine)
            )?;
            write!(out, "{prompt}{answer}")?;
            out.flush()?;
        }
        if let Event::Key(KeyEvent { code, kind, .. }) = event::read()? {
            if kind == KeyEventKind::Release {
                continue;
            }
            match code {
                KeyCode::Enter => return Ok(Some(answer)),
                KeyCode::Esc => return Ok(None),
                KeyCode::Backspace => {
                    answer.pop();
                }
                KeyCode::Char(c) => answer.push(c),
                _ => {}
            }
        }
    }
}

/// `START END` of `text`, each through `parse` (units allowed).
fn two(text: &str, parse: fn(&str) -> Result<Num, crate::fmt::ParseError>) -> Option<[Num; 2]> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [a, b] => Some([parse(a).ok()?, parse(b).ok()?]),
        _ => None,
    }
}

/// Runs the full-screen view from `time` and the first of `addrs`.
pub(super) fn run(draw: &Draw, src: &mut Source, time: [Num; 2], addrs: &[[Num; 2]]) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("--tui needs a terminal on stdin and stdout; without one, use --output stdout");
    }
    let Some(&addr) = addrs.first() else {
        bail!("no address range to draw");
    };
    let home = View { time, addr };
    let mut v = home.clone();
    let _screen = Screen::enter()?;
    let mut note = String::new();
    loop {
        draw_screen(draw, src, &v, &note)?;
        note.clear();
        let key = match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => k,
            // a resize, a focus change: draw again
            _ => continue,
        };
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            _ if ctrl_c => return Ok(()),
            KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
            KeyCode::Left => v.addr = shift(v.addr, -0.1),
            KeyCode::Right => v.addr = shift(v.addr, 0.1),
            KeyCode::Up => v.time = shift(v.time, -0.1),
            KeyCode::Down => v.time = shift(v.time, 0.1),
            KeyCode::Char('+') | KeyCode::Char('=') => {
                v.time = scale(v.time, 0.8);
                v.addr = scale(v.addr, 0.8);
            }
            KeyCode::Char('-') => {
                v.time = scale(v.time, 1.25);
                v.addr = scale(v.addr, 1.25);
            }
            KeyCode::Char('t') => v.time = scale(v.time, 0.8),
            KeyCode::Char('T') => v.time = scale(v.time, 1.25),
            KeyCode::Char('a') => v.addr = scale(v.addr, 0.8),
            KeyCode::Char('A') => v.addr = scale(v.addr, 1.25),
            KeyCode::Char('r') => v = home.clone(),
            KeyCode::Char('g') => {
                if let Some(t) = ask("time range (START END, e.g. 2s 10s; empty keeps it): ")? {
                    match (t.trim().is_empty(), two(&t, crate::fmt::text_to_ns)) {
                        (true, _) => {}
                        (false, Some(r)) => v.time = r,
                        (false, None) => note = format!("not a time range: '{t}'"),
                    }
                }
                if let Some(a) = ask("address range (START END, e.g. 0 64M; empty keeps it): ")? {
                    match (a.trim().is_empty(), two(&a, crate::fmt::text_to_bytes)) {
                        (true, _) => {}
                        (false, Some(r)) => v.addr = r,
                        (false, None) => note = format!("not an address range: '{a}'"),
                    }
                }
            }
            _ => {}
        }
    }
}
