//! A fast path for parsing one snapshot object as damo writes it.
//!
//! Snapshot blobs from the reading pipeline (`pipe`, which drops the white
//! space outside strings) written by damo, or by this tool, have a fixed
//! shape: the same keys in the same order, string values without escapes.
//! This parser accepts exactly that shape and returns `None` on anything
//! else, in which case the caller parses the blob with serde_json.  Values
//! go through the same unit parsers as the general reader, so both paths
//! give identical snapshots.

#![deny(clippy::string_slice)] // text is never sliced by byte position here

use super::{Age, NrAccesses, Region, Snapshot};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};

type Parser = fn(&str) -> Result<Num, ParseError>;

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + s.len())? == s {
            self.i += s.len();
            Some(())
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A string without escapes.
    fn string(&mut self) -> Option<&'a str> {
        self.lit(b"\"")?;
        let rest = &self.b[self.i..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[end] != b'"' {
            return None;
        }
        self.i += end + 1;
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// A JSON integer (no fraction or exponent).
    fn int(&mut self) -> Option<i128> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == digits || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    /// A string of ASCII digits and commas (`"93,823,560,581,120"`, `"0"`:
    /// at least one digit, at most 38) as the integer it spells, read from
    /// the bytes; `None`, and nothing consumed, for any other string.
    /// Every parser `num` is given (`fmt::text_to_*`) reads such a string
    /// as that integer (`tests::grouped_ints_read_as_the_parsers_read_them`).
    fn grouped_int(&mut self) -> Option<i128> {
        let rest = self.b.get(self.i + 1..)?;
        let mut v: i128 = 0;
        let mut digits = 0;
        for (k, &c) in rest.iter().enumerate() {
            match c {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > 38 {
                        return None;
                    }
                    v = v * 10 + i128::from(c - b'0');
                }
                b',' => {}
                b'"' if digits > 0 => {
                    self.i += k + 2;
                    return Some(v);
                }
                _ => return None,
            }
        }
        None
    }

    /// null, an integer, or a string parsed with `parse`.
    fn num(&mut self, parse: Parser) -> Option<Option<Num>> {
        match self.peek()? {
            b'n' => {
                self.lit(b"null")?;
                Some(None)
            }
            b'"' => {
                if let Some(v) = self.grouped_int() {
                    return Some(Some(I(v)));
                }
                let s = self.string()?;
                Some(Some(parse(s).ok()?))
            }
            _ => Some(Some(I(self.int()?))),
        }
    }

    fn region(&mut self) -> Option<Region> {
        self.lit(b"{\"start\":")?;
        let start = finite(self.num(units::text_to_bytes)??)?.trunc();
        self.lit(b",\"end\":")?;
        let end = finite(self.num(units::text_to_bytes)??)?.trunc();
        self.lit(b",\"nr_accesses\":{\"samples\":")?;
        let samples = self.num(units::text_to_nr)?;
        self.lit(b",\"percent\":")?;
        let percent = self.num(units::text_to_percent)?;
        self.lit(b"},\"age\":{\"usec\":")?;
        let usec = self.num(units::text_to_us)?;
        self.lit(b",\"aggr_intervals\":")?;
        let aggr_intervals = self.num(units::text_to_nr)?;
        self.lit(b"},\"probe_hits\":[")?;
        let mut probe_hits = Vec::new();
        if self.peek()? != b']' {
            loop {
                probe_hits.push(i64::try_from(self.int()?).ok()?);
                if self.peek()? == b',' {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }
        self.lit(b"],\"sz_filter_passed\":")?;
        let sz_filter_passed = Some(match self.num(units::text_to_bytes)? {
            Some(v) => finite(v)?.trunc(),
            None => 0,
        });
        self.lit(b"}")?;
        Some(Region {
            start,
            end,
            nr_accesses: Some(NrAccesses { samples, percent }),
            age: Age {
                usec,
                aggr_intervals,
            },
            probe_hits: probe_hits.into_iter().map(|h| I(i128::from(h))).collect(),
            sz_filter_passed,
        })
    }
}

/// `v` if finite (anything else goes to the general parser, which says
/// what is wrong).
fn finite(v: Num) -> Option<Num> {
    v.f().is_finite().then_some(v)
}

/// Parses a damo-shaped snapshot object, or returns `None`.
pub fn snapshot(blob: &[u8]) -> Option<Snapshot> {
    let mut c = Cur { b: blob, i: 0 };
    c.lit(b"{\"start_time\":")?;
    let start = c.num(units::text_to_ns)??;
    c.lit(b",\"end_time\":")?;
    let end = c.num(units::text_to_ns)??;
    c.lit(b",\"regions\":[")?;
    let mut regions = Vec::new();
    if c.peek()? != b']' {
        loop {
            regions.push(c.region()?);
            match c.peek()? {
                b',' => c.i += 1,
                _ => break,
            }
        }
    }
    c.lit(b"],\"total_bytes\":")?;
    let total = c.num(units::text_to_bytes)?;
    c.lit(b",\"damos_stats\":null,\"sample_interval_us\":")?;
    let sample_interval_us = c.num(units::text_to_us)?;
    c.lit(b"}")?;
    if c.i != blob.len() {
        return None;
    }
    let mut s = Snapshot::new(Some(start), end, regions);
    if let Some(t) = total {
        s.total_bytes = t;
    }
    s.sample_interval_us = sample_interval_us;
    Some(s)
}

#[cfg(test)]
mod tests {
    use crate::fmt::pynum::{F, I};
    use crate::record::synth::{Params, generate};
    use crate::record::write::JsonWriter;
    use crate::record::{Collect, Sink, json, pipe};

    /// A record in damo's layout with every kind of field value.
    fn varied_record() -> Vec<u8> {
        let mut c = Collect::default();
        let p = Params {
            targets: 2,
            snapshots: 6,
            regions: 5,
            intervals: true,
            damos: true,
            seed: 9,
        };
        generate(&p, &mut c).unwrap();
        for (ri, r) in c.0.iter_mut().enumerate() {
            for (si, s) in r.snapshots.iter_mut().enumerate() {
                for (gi, g) in s.regions.iter_mut().enumerate() {
                    let n = g.nr_accesses.as_mut().unwrap();
                    match (ri + si + gi) % 5 {
                        0 => g.age.usec = Some(I(1_234_567)),
                        1 => n.percent = Some(I(40)),
                        2 => g.probe_hits = vec![I(1), I(-2), I(3)],
                        3 => n.samples = Some(F(2.5)),
                        _ => g.age.aggr_intervals = None,
                    }
                }
                if si == 2 {
                    s.damos_stats = Some(serde_json::json!({"nr_tried": "3", "sz_tried": "4096",
                        "nr_applied": "1", "sz_applied": "0", "sz_ops_filter_passed": "0",
                        "qt_exceeds": "0"}));
                }
                if si == 3 {
                    s.sample_interval_us = Some(I(5000));
                }
            }
        }
        let mut w = JsonWriter::new(Vec::new());
        for r in &c.0 {
            w.record_start(&r.meta).unwrap();
            for s in &r.snapshots {
                w.snapshot(&r.meta, s.clone()).unwrap();
            }
            w.record_end(&r.meta).unwrap();
        }
        w.finish().unwrap()
    }

    /// `text` without white space outside strings, then with `sep` after
    /// each `,` and `:` outside strings (Python's `json.dumps` separators).
    fn relayout(text: &[u8], comma: &[u8], colon: &[u8]) -> Vec<u8> {
        let (mut out, mut in_str, mut esc) = (Vec::new(), false, false);
        for &c in text {
            if in_str {
                out.push(c);
                (in_str, esc) = (esc || c != b'"', !esc && c == b'\\');
            } else if !c.is_ascii_whitespace() {
                out.push(c);
                in_str = c == b'"';
                match c {
                    b',' => out.extend_from_slice(comma),
                    b':' => out.extend_from_slice(colon),
                    _ => {}
                }
            }
        }
        out
    }

    /// A record in damo's layout as `damo record` writes it.
    fn plain_record() -> Vec<u8> {
        let mut w = JsonWriter::new(Vec::new());
        let p = Params {
            targets: 2,
            snapshots: 5,
            regions: 4,
            intervals: true,
            damos: false,
            seed: 3,
        };
        generate(&p, &mut w).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn fast_path_matches_serde_in_every_layout() {
        for (damo, nr, fast_ones) in [(varied_record(), 12, None), (plain_record(), 10, Some(10))] {
            let mut generic = Collect::default();
            json::read(&damo[..], &mut generic).unwrap();
            let (_, blobs) = pipe::scan(&damo);
            let taken_in_damos = blobs
                .iter()
                .filter(|b| super::snapshot(b).is_some())
                .count();
            if let Some(n) = fast_ones {
                assert_eq!(taken_in_damos, n);
            }
            let layouts = [
                damo.clone(),
                relayout(&damo, b"", b""),
                relayout(&damo, b" ", b" "),
                relayout(&damo, b"\r\n  ", b"\t"),
            ];
            for text in layouts {
                let piped = pipe::Stripped::new(std::io::Cursor::new(text.clone()));
                let blobs = piped.blobs();
                let mut fast = Collect::default();
                json::read_skeleton(std::io::BufReader::new(piped), blobs, &mut fast).unwrap();
                assert_eq!(generic.0, fast.0, "{}", String::from_utf8_lossy(&text));
                assert_eq!(fast.0.len(), 2);
                // the fast parser takes the same snapshots in every layout
                let (_, blobs) = pipe::scan(&text);
                let taken = blobs
                    .iter()
                    .filter(|b| super::snapshot(b).is_some())
                    .count();
                assert_eq!((blobs.len(), taken), (nr, taken_in_damos));
            }
        }
    }

    #[test]
    fn fast_path_is_taken_for_damo_snapshots() {
        let blob = br#"{"start_time":"100","end_time":"200","regions":[{"start":"4,096","end":"8,192","nr_accesses":{"samples":3,"percent":null},"age":{"usec":null,"aggr_intervals":"1,234"},"probe_hits":[],"sz_filter_passed":"2.000 KiB"}],"total_bytes":"4096","damos_stats":null,"sample_interval_us":null}"#;
        let s = super::snapshot(blob).expect("fast path");
        assert_eq!(s.regions[0].age.aggr_intervals, Some(I(1234)));
        assert_eq!(s.regions[0].sz_filter_passed, Some(2048));
        // Anything else falls back.
        assert!(
            super::snapshot(br#"{"end_time":"200","start_time":"100","regions":[]}"#).is_none()
        );
        assert!(super::snapshot(br#"{"start_time":1.5,"end_time":"200","regions":[]}"#).is_none());
    }

    #[test]
    fn grouped_ints_read_as_the_parsers_read_them() {
        use crate::fmt as units;
        let parsers: [super::Parser; 4] = [
            units::text_to_bytes,
            units::text_to_nr,
            units::text_to_percent,
            units::text_to_us,
        ];
        for text in [
            "0",
            "7",
            "4,096",
            "93,823,560,581,120",
            ",1,,2,",
            "18,446,744,073,709,551,615",
        ] {
            let quoted = format!("\"{text}\"");
            let mut c = super::Cur {
                b: quoted.as_bytes(),
                i: 0,
            };
            let v = c.grouped_int().unwrap();
            assert_eq!(c.i, quoted.len(), "{text}");
            for p in parsers {
                assert_eq!(p(text).unwrap(), I(v), "{text}");
            }
        }
        for text in [
            "",
            ",",
            "1.5",
            "4 KiB",
            "max",
            "-1",
            "1e3",
            "99999999999999999999999999999999999999999",
        ] {
            let quoted = format!("\"{text}\"");
            let mut c = super::Cur {
                b: quoted.as_bytes(),
                i: 0,
            };
            assert_eq!(c.grouped_int(), None, "{text}");
            assert_eq!(c.i, 0, "{text}");
        }
    }
}
