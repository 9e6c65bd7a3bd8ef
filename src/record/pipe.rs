//! A reading pipeline for JSON records.
//!
//! A helper thread reads (and for json_compressed, inflates) the file and
//! drops line breaks with their indentation, handing chunks to the parser
//! through a bounded channel; the parser runs on the other core.
//!
//! Records written by damo (`json.dumps(indent=4)`) get a faster path: the
//! indentation of each line tells its depth, so the helper also cuts out
//! every snapshot object (a `{` line at indent 12 inside `"snapshots": [`
//! up to the `}` line at indent 12) and sends it as a separate blob.  The
//! parser then reads a small skeleton in which each snapshot is replaced by
//! the placeholder `0`, and parses each blob from a slice, which serde_json
//! does several times faster than from a stream.  Text of any other layout
//! takes the generic path.  Memory stays bounded by the channel depth.

#![deny(clippy::string_slice)] // text is never sliced by byte position here

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const CHUNK: usize = 1 << 20;
const DEPTH: usize = 4;

/// What the helper sends: skeleton text, or a whole snapshot object.
pub enum Piece {
    Text(Vec<u8>),
    Snapshot(Vec<u8>),
}

/// Snapshot objects cut out of the stream, in skeleton order.
pub type Blobs = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// Removes line breaks and the indentation after them from `input`,
/// appending to `out`.  JSON strings cannot hold a raw line break, so
/// every `\n` is outside strings and this never changes a value.  (Other
/// white space is left to the JSON parser; indentation split across
/// chunks may survive, which is harmless.)
pub fn strip(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\n', &input[i..]) {
        out.extend_from_slice(&input[i..i + k]);
        i = skip_indent(input, i + k + 1);
    }
    out.extend_from_slice(&input[i..]);
}

fn skip_indent(input: &[u8], mut i: usize) -> usize {
    let len = input.len();
    while i + 8 <= len {
        let mut w = [0u8; 8];
        w.copy_from_slice(&input[i..i + 8]);
        if u64::from_ne_bytes(w) != u64::from_ne_bytes(*b"        ") {
            break;
        }
        i += 8;
    }
    while i < len && matches!(input[i], b' ' | b'\t' | b'\r') {
        i += 1;
    }
    i
}

/// Splits damo-layout JSON into skeleton text and snapshot blobs, line by
/// line (lines may span chunks).
struct Splitter {
    partial: Vec<u8>,
    in_snapshots: bool,
    blob: Option<Vec<u8>>,
    text: Vec<u8>,
}

impl Splitter {
    fn new() -> Self {
        Splitter {
            partial: Vec::new(),
            in_snapshots: false,
            blob: None,
            text: Vec::new(),
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Piece>) {
        let body_at = skip_indent(line, 0);
        let indent = body_at;
        let body = &line[body_at..];
        if let Some(blob) = self.blob.as_mut() {
            blob.extend_from_slice(body);
            if indent == 12 && body.first() == Some(&b'}') {
                let mut blob = self.blob.take().unwrap_or_default();
                // The separating comma belongs to the skeleton.
                let comma = blob.last() == Some(&b',');
                if comma {
                    blob.pop();
                }
                // The blob goes first, so it is queued before the parser
                // meets its placeholder.
                self.flush_text(out);
                out.push(Piece::Snapshot(blob));
                self.text
                    .extend_from_slice(if comma { b"0," } else { b"0" });
            }
            return;
        }
        if self.in_snapshots && indent == 12 && body == b"{" {
            self.blob = Some(body.to_vec());
            return;
        }
        if indent == 8 {
            if body == b"\"snapshots\": [" {
                self.in_snapshots = true;
            } else if body.first() == Some(&b']') {
                self.in_snapshots = false;
            }
        }
        self.text.extend_from_slice(body);
    }

    fn flush_text(&mut self, out: &mut Vec<Piece>) {
        if !self.text.is_empty() {
            out.push(Piece::Text(std::mem::take(&mut self.text)));
        }
    }

    fn feed(&mut self, input: &[u8], out: &mut Vec<Piece>) {
        let mut i = 0;
        while let Some(k) = memchr::memchr(b'\n', &input[i..]) {
            if self.partial.is_empty() {
                self.line(&input[i..i + k], out);
            } else {
                let mut l = std::mem::take(&mut self.partial);
                l.extend_from_slice(&input[i..i + k]);
                self.line(&l, out);
            }
            i += k + 1;
        }
        self.partial.extend_from_slice(&input[i..]);
        self.flush_text(out);
    }

    fn finish(&mut self, out: &mut Vec<Piece>) {
        let last = std::mem::take(&mut self.partial);
        self.line(&last, out);
        if let Some(b) = self.blob.take() {
            // An unterminated snapshot: hand it over as text so the parser
            // reports the error.
            self.text.extend_from_slice(&b);
        }
        self.flush_text(out);
    }
}

/// Whether text starts the way `json.dumps(indent=4)` of a record list does.
fn is_damo_layout(head: &[u8]) -> bool {
    head.starts_with(b"[\n    {\n        \"")
}

fn produce<R: Read>(mut src: R, tx: SyncSender<io::Result<Vec<Piece>>>) {
    let mut buf = vec![0u8; CHUNK];
    let mut splitter: Option<Splitter> = None;
    let mut first = true;
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
        if first {
            first = false;
            if is_damo_layout(&buf[..n]) {
                splitter = Some(Splitter::new());
            }
        }
        let mut pieces = Vec::new();
        match splitter.as_mut() {
            Some(s) => s.feed(&buf[..n], &mut pieces),
            None => {
                let mut out = Vec::with_capacity(n);
                strip(&buf[..n], &mut out);
                pieces.push(Piece::Text(out));
            }
        }
        if tx.send(Ok(pieces)).is_err() {
            return; // the parser stopped early
        }
    }
    if let Some(s) = splitter.as_mut() {
        let mut pieces = Vec::new();
        s.finish(&mut pieces);
        let _ = tx.send(Ok(pieces));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_line_breaks_and_indentation() {
        let text = b"[\n    {\n        \"a b\": \"x  y\",\n        \"c\": [\n            1\n        ]\n    }\n]";
        let mut out = Vec::new();
        strip(text, &mut out);
        assert_eq!(out, b"[{\"a b\": \"x  y\",\"c\": [1]}]");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::from_slice::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn splits_snapshots_out_of_damo_layout() {
        let v = serde_json::json!([{"target_id": 1, "scheme_filters": [{"a": 1}],
            "snapshots": [{"x": {"y": [1, 2]}}, {"x": 2}], "data_source": "unknown"},
            {"target_id": 2, "snapshots": [], "data_source": "unknown"}]);
        let text = python_indent4(&v);
        for chunk in [1usize, 7, 64, 1 << 20] {
            let mut s = Splitter::new();
            let mut pieces = Vec::new();
            for c in text.as_bytes().chunks(chunk) {
                s.feed(c, &mut pieces);
            }
            s.finish(&mut pieces);
            let mut skeleton = Vec::new();
            let mut blobs = Vec::new();
            for p in pieces {
                match p {
                    Piece::Text(t) => skeleton.extend(t),
                    Piece::Snapshot(b) => blobs.push(String::from_utf8(b).unwrap()),
                }
            }
            let skeleton = String::from_utf8(skeleton).unwrap();
            assert_eq!(
                skeleton,
                // (json! sorts keys)
                "[{\"data_source\": \"unknown\",\"scheme_filters\": [{\"a\": 1}],\"snapshots\": [0,0],\
                 \"target_id\": 1},{\"data_source\": \"unknown\",\"snapshots\": [],\"target_id\": 2}]",
                "chunk {chunk}"
            );
            assert_eq!(blobs, vec!["{\"x\": {\"y\": [1,2]}}", "{\"x\": 2}"]);
        }
    }

    /// `json.dumps(v, indent=4)` as Python writes it.
    fn python_indent4(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
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
