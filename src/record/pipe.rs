//! A reading pipeline for JSON records.
//!
//! A helper thread reads (and for json_compressed, inflates) the file and
//! scans it byte by byte, tracking strings, escapes and nesting depth: it
//! drops the white space outside strings, whatever the layout (damo's
//! `indent=4`, compact `json.dumps`, other indents, CRLF), and cuts every
//! element of each record's `"snapshots"` array out of the text as a
//! separate blob.  The parser, on the other core, reads a small skeleton in
//! which each snapshot is replaced by the placeholder `0`, and parses each
//! blob from a slice (`fastjson` for the usual shape, serde_json for any
//! other), which is several times faster than from a stream.  Memory stays
//! bounded by the channel depth and the largest snapshot.

#![deny(clippy::string_slice)] // text is never sliced by byte position here

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const CHUNK: usize = 1 << 20;
const DEPTH: usize = 4;
/// The nesting depth of the elements of a record's `"snapshots"` array.
const ELEMENT_DEPTH: usize = 3;

/// What the helper sends: skeleton text, or a whole snapshot element.
pub enum Piece {
    Text(Vec<u8>),
    Snapshot(Vec<u8>),
}

/// Snapshot objects cut out of the stream, in skeleton order.
pub type Blobs = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// JSON's white space.
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// The end of the run of white space that starts at `input[i]` (runs of
/// spaces, damo's indentation, eight at a time).
fn ws_end(input: &[u8], mut i: usize) -> usize {
    let n = input.len();
    while i + 8 <= n && input[i..i + 8] == *b"        " {
        i += 8;
    }
    while i < n && is_ws(input[i]) {
        i += 1;
    }
    i
}

/// Where the string text from `input[i]` stops: its closing quote or an
/// escape (`input.len()` if the chunk ends first).  The strings of
/// records are short: a loop beats memchr.
fn str_stop(input: &[u8], mut i: usize) -> usize {
    while i < input.len() && input[i] != b'"' && input[i] != b'\\' {
        i += 1;
    }
    i
}

/// Bytes that end a run of plain bytes outside strings.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let special = b" \n\r\t\"{}[],:";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

/// The longest key the scanner remembers (`snapshots` is 9 bytes).
const KEY_MAX: usize = 16;

/// Splits JSON record text into skeleton text and snapshot blobs, across
/// chunk boundaries.  Depth 1 is the record list, depth 2 a record object,
/// depth 3 the elements of its `"snapshots"` array.
struct Scanner {
    depth: usize,
    /// The kinds (`[` or `{`) of the containers at depths 1 and 2.
    kinds: [u8; 2],
    in_str: bool,
    esc: bool,
    /// The string being read is a record-level one (a key, maybe).
    capturing: bool,
    /// The last record-level string, if it is at most KEY_MAX bytes.
    last_str: Vec<u8>,
    last_str_long: bool,
    /// A record's `"snapshots":` was read, and no `,` since.
    after_snapshots_key: bool,
    /// Inside a record's `"snapshots"` array.
    in_snapshots: bool,
    /// The snapshot element being cut out, and whether it is a scalar
    /// (which ends at white space, `,`, `]` or its closing quote).
    blob: Option<Vec<u8>>,
    scalar: bool,
    text: Vec<u8>,
}

impl Scanner {
    fn new() -> Self {
        Scanner {
            depth: 0,
            kinds: [0; 2],
            in_str: false,
            esc: false,
            capturing: false,
            last_str: Vec::with_capacity(KEY_MAX),
            last_str_long: false,
            after_snapshots_key: false,
            in_snapshots: false,
            blob: None,
            scalar: false,
            text: Vec::new(),
        }
    }

    fn record_level(&self) -> bool {
        self.depth == 2 && self.kinds == [b'[', b'{']
    }

    fn out(&mut self) -> &mut Vec<u8> {
        match self.blob.as_mut() {
            Some(b) => b,
            None => &mut self.text,
        }
    }

    /// Whether a value starting here is a snapshot element to cut out.
    fn starts_element(&self) -> bool {
        self.in_snapshots && self.depth == 3 && self.blob.is_none()
    }

    /// Appends `input[*seg..upto]` to the current output: bytes are kept
    /// in runs, and copied when the output changes or white space is
    /// dropped.
    fn keep(&mut self, input: &[u8], seg: &mut usize, upto: usize) {
        if upto > *seg {
            self.out().extend_from_slice(&input[*seg..upto]);
        }
        *seg = upto;
    }

    /// Starts cutting a snapshot element at `input[at]`.
    fn begin_blob(&mut self, input: &[u8], seg: &mut usize, at: usize, scalar: bool) {
        self.keep(input, seg, at);
        self.blob = Some(Vec::new());
        self.scalar = scalar;
    }

    /// Ends the blob being cut with `input[..upto]`: it goes out first, so
    /// it is queued before the parser meets its placeholder.
    fn end_blob(&mut self, input: &[u8], seg: &mut usize, upto: usize, out: &mut Vec<Piece>) {
        self.keep(input, seg, upto);
        if let Some(blob) = self.blob.take() {
            self.flush_text(out);
            out.push(Piece::Snapshot(blob));
            self.text.push(b'0');
        }
    }

    /// Ends a scalar blob before `input[at]`, which cannot be part of it.
    fn scalar_end(&mut self, input: &[u8], seg: &mut usize, at: usize, out: &mut Vec<Piece>) {
        if self.scalar && self.blob.is_some() && self.depth == 3 {
            self.end_blob(input, seg, at, out);
        }
    }

    fn flush_text(&mut self, out: &mut Vec<Piece>) {
        if !self.text.is_empty() {
            out.push(Piece::Text(std::mem::take(&mut self.text)));
        }
    }

    fn capture(&mut self, bytes: &[u8]) {
        if self.capturing && !self.last_str_long {
            if self.last_str.len() + bytes.len() > KEY_MAX {
                self.last_str_long = true;
            } else {
                self.last_str.extend_from_slice(bytes);
            }
        }
    }

    fn feed(&mut self, input: &[u8], out: &mut Vec<Piece>) {
        let n = input.len();
        let (mut i, mut seg) = (0, 0);
        while i < n {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                let j = str_stop(input, i);
                if j == n {
                    self.capture(&input[i..]);
                    break;
                }
                self.capture(&input[i..j]);
                i = j + 1;
                if input[j] == b'\\' {
                    self.esc = true;
                    // (an escaped key is never taken for "snapshots")
                    self.last_str_long = true;
                } else {
                    self.in_str = false;
                    self.capturing = false;
                    self.scalar_end(input, &mut seg, i, out);
                }
                continue;
            }
            if self.depth > ELEMENT_DEPTH && self.blob.is_some() {
                i = self.skim_blob(input, i, &mut seg);
                if i >= n {
                    break;
                }
            }
            let c = input[i];
            if !SPECIAL[usize::from(c)] {
                // a number or literal
                if self.starts_element() {
                    self.begin_blob(input, &mut seg, i, true);
                }
                i += 1;
                while i < n && !SPECIAL[usize::from(input[i])] {
                    i += 1;
                }
                continue;
            }
            match c {
                b' ' | b'\n' | b'\r' | b'\t' => {
                    self.scalar_end(input, &mut seg, i, out);
                    self.keep(input, &mut seg, i);
                    i = ws_end(input, i + 1);
                    seg = i;
                    continue;
                }
                b'"' => {
                    if self.starts_element() {
                        self.begin_blob(input, &mut seg, i, true);
                    }
                    self.in_str = true;
                    if self.record_level() {
                        self.capturing = true;
                        self.last_str.clear();
                        self.last_str_long = false;
                    }
                }
                b'{' | b'[' => {
                    if self.starts_element() {
                        self.begin_blob(input, &mut seg, i, false);
                    }
                    let opens_snapshots =
                        c == b'[' && self.after_snapshots_key && self.record_level();
                    if self.record_level() {
                        self.after_snapshots_key = false;
                    }
                    self.depth += 1;
                    if let Some(k) = self.kinds.get_mut(self.depth - 1) {
                        *k = c;
                    }
                    if opens_snapshots {
                        self.in_snapshots = true;
                    }
                }
                b'}' | b']' => {
                    self.scalar_end(input, &mut seg, i, out);
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 3 && !self.scalar && self.blob.is_some() {
                        self.end_blob(input, &mut seg, i + 1, out);
                    }
                    if self.depth == 2 {
                        self.in_snapshots = false;
                    }
                }
                b',' => {
                    self.scalar_end(input, &mut seg, i, out);
                    if self.record_level() {
                        self.after_snapshots_key = false;
                    }
                }
                _ => {
                    // b':'
                    if self.record_level() {
                        self.after_snapshots_key =
                            !self.last_str_long && self.last_str == b"snapshots";
                    }
                }
            }
            i += 1;
        }
        self.keep(input, &mut seg, n);
        self.flush_text(out);
    }

    /// Inside a snapshot element (below its top level), only nesting,
    /// strings and white space (dropped, as `feed` drops it) matter:
    /// skims from `input[i]` to the byte that closes the element's top
    /// level, which `feed` then handles; returns where it stopped
    /// (`input.len()` when the chunk ended first, the string state kept
    /// for the next one).
    fn skim_blob(&mut self, input: &[u8], mut i: usize, seg: &mut usize) -> usize {
        let n = input.len();
        let mut depth = self.depth;
        'bytes: while i < n {
            match input[i] {
                b'"' => {
                    let mut j = i + 1;
                    loop {
                        j = str_stop(input, j);
                        if j >= n {
                            self.in_str = true;
                            i = n;
                            break 'bytes;
                        }
                        if input[j] == b'"' {
                            i = j + 1;
                            break;
                        }
                        if j + 1 >= n {
                            self.in_str = true;
                            self.esc = true;
                            i = n;
                            break 'bytes;
                        }
                        j += 2;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                b'}' | b']' => {
                    if depth <= ELEMENT_DEPTH + 1 {
                        break;
                    }
                    depth -= 1;
                    i += 1;
                }
                b' ' | b'\n' | b'\r' | b'\t' => {
                    self.keep(input, seg, i);
                    i = ws_end(input, i + 1);
                    *seg = i;
                }
                _ => i += 1,
            }
        }
        self.depth = depth;
        i
    }

    fn finish(&mut self, out: &mut Vec<Piece>) {
        if let Some(b) = self.blob.take() {
            // An unterminated snapshot: hand it over as text so the parser
            // reports the error.
            self.text.extend_from_slice(&b);
        }
        self.flush_text(out);
    }
}

fn produce<R: Read>(mut src: R, tx: SyncSender<io::Result<Vec<Piece>>>) {
    let mut buf = vec![0u8; CHUNK];
    let mut scanner = Scanner::new();
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let mut pieces = Vec::new();
        scanner.feed(&buf[..n], &mut pieces);
        if tx.send(Ok(pieces)).is_err() {
            return; // the parser stopped early
        }
    }
    let mut pieces = Vec::new();
    scanner.finish(&mut pieces);
    let _ = tx.send(Ok(pieces));
}

/// The parser's end of the pipeline: reads the skeleton text, queueing
/// snapshot blobs in `blobs` as their placeholders pass by.
pub struct Stripped {
    rx: Receiver<io::Result<Vec<Piece>>>,
    pending: VecDeque<Piece>,
    cur: Vec<u8>,
    pos: usize,
    blobs: Blobs,
    worker: Option<JoinHandle<()>>,
}

impl Stripped {
    /// Starts the helper thread on `src`.
    pub fn new<R: Read + Send + 'static>(src: R) -> Self {
        let (tx, rx) = sync_channel(DEPTH);
        let worker = std::thread::spawn(move || produce(src, tx));
        Stripped {
            rx,
            pending: VecDeque::new(),
            cur: Vec::new(),
            pos: 0,
            blobs: Rc::new(RefCell::new(VecDeque::new())),
            worker: Some(worker),
        }
    }

    /// The queue of snapshot blobs the JSON reader takes from.
    pub fn blobs(&self) -> Blobs {
        self.blobs.clone()
    }
}

impl Read for Stripped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.pending.pop_front() {
                Some(Piece::Text(t)) => {
                    self.cur = t;
                    self.pos = 0;
                }
                Some(Piece::Snapshot(b)) => self.blobs.borrow_mut().push_back(b),
                None => match self.rx.recv() {
                    Ok(pieces) => self.pending.extend(pieces?),
                    Err(_) => return Ok(0),
                },
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for Stripped {
    fn drop(&mut self) {
        // Unblock the helper (its sends fail once the receiver is gone).
        let (_, dummy) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, dummy));
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The skeleton and blobs the scanner makes of `text`, fed in chunks.
fn scan_chunked(text: &[u8], chunk: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut s = Scanner::new();
    let mut pieces = Vec::new();
    for c in text.chunks(chunk) {
        s.feed(c, &mut pieces);
    }
    s.finish(&mut pieces);
    let (mut skeleton, mut blobs) = (Vec::new(), Vec::new());
    for p in pieces {
        match p {
            Piece::Text(t) => skeleton.extend(t),
            Piece::Snapshot(b) => blobs.push(b),
        }
    }
    (skeleton, blobs)
}

/// What the helper thread makes of `text` held in memory: the skeleton and
/// the snapshot blobs (for tests and examples/profile_read.rs).
pub fn scan(text: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    scan_chunked(text, CHUNK)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The skeleton and blobs the scanner makes of `text` fed in chunks.
    fn scan(text: &[u8], chunk: usize) -> (String, Vec<String>) {
        let (skeleton, blobs) = scan_chunked(text, chunk);
        let blobs = blobs.into_iter().map(|b| String::from_utf8(b).unwrap());
        (String::from_utf8(skeleton).unwrap(), blobs.collect())
    }

    #[test]
    fn drops_white_space_outside_strings_only() {
        let text = b"[\r\n {\t\"a b\" :  \"x  y\\\"  z\",\n        \"c\": [\n            1 , true\n        ]\n    }\n]";
        for chunk in [1usize, 3, 1 << 20] {
            let (skeleton, blobs) = scan(text, chunk);
            assert_eq!(skeleton, "[{\"a b\":\"x  y\\\"  z\",\"c\":[1,true]}]");
            assert!(blobs.is_empty());
            let v: serde_json::Value = serde_json::from_str(&skeleton).unwrap();
            assert_eq!(
                v,
                serde_json::from_slice::<serde_json::Value>(text).unwrap()
            );
        }
    }

    #[test]
    fn cuts_snapshots_out_of_any_layout() {
        let v = serde_json::json!([{"target_id": 1, "scheme_filters": [{"a": 1}],
            "snapshots": [{"x": {"y": [1, 2], "s": "p  q\\"}}, {"x": "a\"]}"}], "data_source": "unknown"},
            {"target_id": 2, "snapshots": [], "data_source": "unknown"}]);
        let layouts = [
            serde_json::to_string(&v).unwrap(),
            pretty(&v, b"    "),
            pretty(&v, b"\t"),
            serde_json::to_string(&v)
                .unwrap()
                .replace(',', " ,\r\n ")
                .replace(':', " : "),
        ];
        for text in layouts {
            for chunk in [1usize, 7, 64, 1 << 20] {
                let (skeleton, blobs) = scan(text.as_bytes(), chunk);
                assert_eq!(
                    skeleton,
                    // (json! sorts keys)
                    "[{\"data_source\":\"unknown\",\"scheme_filters\":[{\"a\":1}],\"snapshots\":[0,0],\
                     \"target_id\":1},{\"data_source\":\"unknown\",\"snapshots\":[],\"target_id\":2}]",
                    "chunk {chunk} of {text}"
                );
                assert_eq!(
                    blobs,
                    vec![
                        "{\"x\":{\"s\":\"p  q\\\\\",\"y\":[1,2]}}",
                        "{\"x\":\"a\\\"]}\"}"
                    ]
                );
            }
        }
    }

    #[test]
    fn scalar_snapshots_are_cut_too() {
        // so that a literal 0 in a record is never taken for a placeholder
        let (skeleton, blobs) = scan(b"[{\"snapshots\": [0, \"s\", null , [1]]}]", 1);
        assert_eq!(skeleton, "[{\"snapshots\":[0,0,0,0]}]");
        assert_eq!(blobs, vec!["0", "\"s\"", "null", "[1]"]);
    }

    #[test]
    fn only_record_level_snapshots_are_cut() {
        for text in [
            &b"{\"snapshots\": [{\"a\": 1}]}"[..],
            b"[[{\"snapshots\": [{\"a\": 1}]}]]",
            b"[{\"x\": {\"snapshots\": [{\"a\": 1}]}}]",
            b"[{\"x\": \"snapshots\", \"y\": [{\"a\": 1}]}]",
            b"[{\"snapshotsX\": [{\"a\": 1}]}]",
        ] {
            let (_, blobs) = scan(text, 2);
            assert!(blobs.is_empty(), "{}", String::from_utf8_lossy(text));
        }
    }

    fn pretty(v: &serde_json::Value, indent: &[u8]) -> String {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        serde::Serialize::serialize(v, &mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pipeline_reads_everything() {
        let text: Vec<u8> = (0..3_000_000u32)
            .flat_map(|i| format!("{}\n  ", i % 10).into_bytes())
            .collect();
        let mut out = Vec::new();
        Stripped::new(std::io::Cursor::new(text))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 3_000_000);
    }
}
