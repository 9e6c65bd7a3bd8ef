//! A reading pipeline for JSON records: a helper thread reads (and for
//! json_compressed, inflates) the file and drops line breaks with their
//! indentation, handing fixed-size chunks to the parser through a bounded
//! channel.
//!
//! damo writes records with `indent=4`, so most of the text is white
//! space, and skipping it byte by byte is most of serde_json's work when it
//! reads from a stream.  Doing it here, on the other core, in a tight loop,
//! roughly halves the time to read a record, with memory bounded by the
//! channel (a few chunks).

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const CHUNK: usize = 1 << 20;
const DEPTH: usize = 4;

/// Removes line breaks and the indentation after them from `input`,
/// appending to `out`.  JSON strings cannot hold a raw line break, so
/// every `\n` is outside strings and this never changes a value.  (Other
/// white space is left to the JSON parser; indentation split across
/// chunks may survive, which is harmless.)
pub fn strip(input: &[u8], out: &mut Vec<u8>) {
    let len = input.len();
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\n', &input[i..]) {
        out.extend_from_slice(&input[i..i + k]);
        i += k + 1;
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
    }
    out.extend_from_slice(&input[i..]);
}

fn produce<R: Read>(mut src: R, tx: SyncSender<io::Result<Vec<u8>>>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match src.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let mut out = Vec::with_capacity(n);
                strip(&buf[..n], &mut out);
                if tx.send(Ok(out)).is_err() {
                    return; // the parser stopped early
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

/// The parser's end of the pipeline.
pub struct Stripped {
    rx: Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
    worker: Option<JoinHandle<()>>,
}

impl Stripped {
    /// Starts the helper thread on `src`.
    pub fn new<R: Read + Send + 'static>(src: R) -> Self {
        let (tx, rx) = sync_channel(DEPTH);
        let worker = std::thread::spawn(move || produce(src, tx));
        Stripped {
            rx,
            cur: Vec::new(),
            pos: 0,
            worker: Some(worker),
        }
    }
}

impl Read for Stripped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.cur = chunk?;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
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
