//! A compact on-disk copy of records, for reports that read a record more
//! than once (`report heatmap` reads it three times).
//!
//! The first read parses the record files and tees every snapshot into a
//! temporary file in a varint binary form (about 25 bytes per region
//! instead of ~500 of JSON); later reads replay that file, which is an
//! order of magnitude faster than inflating and parsing again, and keeps
//! memory as flat as streaming does.  The file is unlinked as soon as it is
//! created, so nothing is left behind even if damo is killed.

#![deny(clippy::string_slice)] // text is never sliced by byte position here

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use anyhow::{Context, Result, bail};

use super::{Age, NrAccesses, RecordFiles, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{F, I, Num};

fn put_uvar<W: Write>(w: &mut W, mut v: u128) -> std::io::Result<()> {
    let mut buf = [0u8; 19];
    let mut n = 0;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf[n] = b;
            n += 1;
            break;
        }
        buf[n] = b | 0x80;
        n += 1;
    }
    w.write_all(&buf[..n])
}

fn put_ivar<W: Write>(w: &mut W, v: i128) -> std::io::Result<()> {
    put_uvar(w, ((v << 1) ^ (v >> 127)) as u128)
}

fn put_num<W: Write>(w: &mut W, v: Option<Num>) -> std::io::Result<()> {
    match v {
        None => w.write_all(&[0]),
        Some(I(i)) => {
            w.write_all(&[1])?;
            put_ivar(w, i)
        }
        Some(F(f)) => {
            w.write_all(&[2])?;
            w.write_all(&f.to_le_bytes())
        }
    }
}

/// A decoder over one spooled entry.
struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Rd<'_> {
    fn byte(&mut self) -> Result<u8> {
        let v = *self.b.get(self.pos).context("corrupt spool file")?;
        self.pos += 1;
        Ok(v)
    }
    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        let v = self
            .b
            .get(self.pos..self.pos + n)
            .context("corrupt spool file")?;
        self.pos += n;
        Ok(v)
    }
    fn uvar(&mut self) -> Result<u128> {
        let mut v: u128 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u128) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 126 {
                bail!("corrupt spool file");
            }
        }
    }
    fn ivar(&mut self) -> Result<i128> {
        let u = self.uvar()?;
        Ok(((u >> 1) as i128) ^ -((u & 1) as i128))
    }
    fn num(&mut self) -> Result<Option<Num>> {
        Ok(match self.byte()? {
            0 => None,
            1 => Some(I(self.ivar()?)),
            2 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.bytes(8)?);
                Some(F(f64::from_le_bytes(b)))
            }
            _ => bail!("corrupt spool file"),
        })
    }
}

/// Writes one entry: tag, payload length, payload.
fn put_entry<W: Write>(w: &mut W, tag: u8, payload: &[u8]) -> std::io::Result<()> {
    w.write_all(&[tag])?;
    let len = u32::try_from(payload.len())
        .map_err(|_| std::io::Error::other("a snapshot of over 4 GiB cannot be spooled"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(payload)
}

const TAG_START: u8 = b'R';
const TAG_SNAPSHOT: u8 = b'S';
const TAG_END: u8 = b'E';

fn write_snapshot<W: Write>(w: &mut W, s: &Snapshot) -> Result<()> {
    put_num(w, s.start_time)?;
    put_num(w, Some(s.end_time))?;
    put_num(w, Some(s.total_bytes))?;
    put_num(w, s.sample_interval_us)?;
    match &s.damos_stats {
        None => put_uvar(w, 0)?,
        Some(v) => {
            let t = v.to_string();
            put_uvar(w, t.len() as u128 + 1)?;
            w.write_all(t.as_bytes())?;
        }
    }
    put_uvar(w, s.regions.len() as u128)?;
    let mut prev_end: i128 = 0;
    for r in &s.regions {
        // Addresses as deltas: regions are mostly adjacent.
        put_ivar(w, r.start - prev_end)?;
        put_ivar(w, r.end - r.start)?;
        prev_end = r.end;
        match &r.nr_accesses {
            None => w.write_all(&[0])?,
            Some(n) => {
                w.write_all(&[1])?;
                put_num(w, n.samples)?;
                put_num(w, n.percent)?;
            }
        }
        put_num(w, r.age.usec)?;
        put_num(w, r.age.aggr_intervals)?;
        put_uvar(w, r.probe_hits.len() as u128)?;
        for h in &r.probe_hits {
            put_num(w, Some(*h))?;
        }
        match r.sz_filter_passed {
            None => w.write_all(&[0])?,
            Some(v) => {
                w.write_all(&[1])?;
                put_ivar(w, v)?;
            }
        }
    }
    Ok(())
}

fn read_snapshot(r: &mut Rd) -> Result<Snapshot> {
    let start_time = r.num()?;
    let end_time = r.num()?.context("corrupt spool file")?;
    let total_bytes = r.num()?.context("corrupt spool file")?;
    let sample_interval_us = r.num()?;
    let stats_len = r.uvar()? as usize;
    let damos_stats = if stats_len == 0 {
        None
    } else {
        Some(serde_json::from_slice(r.bytes(stats_len - 1)?)?)
    };
    let n = r.uvar()? as usize;
    let mut regions = Vec::with_capacity(n);
    let mut prev_end: i128 = 0;
    for _ in 0..n {
        let start = prev_end + r.ivar()?;
        let end = start + r.ivar()?;
        prev_end = end;
        let nr_accesses = match r.byte()? {
            0 => None,
            _ => Some(NrAccesses {
                samples: r.num()?,
                percent: r.num()?,
            }),
        };
        let age = Age {
            usec: r.num()?,
            aggr_intervals: r.num()?,
        };
        let nh = r.uvar()? as usize;
        let mut probe_hits = Vec::with_capacity(nh);
        for _ in 0..nh {
            probe_hits.push(r.num()?.context("corrupt spool file")?);
        }
        let sz_filter_passed = match r.byte()? {
            0 => None,
            _ => Some(r.ivar()?),
        };
        regions.push(Region {
            start,
            end,
            nr_accesses,
            age,
            probe_hits,
            sz_filter_passed,
        });
    }
    Ok(Snapshot {
        start_time,
        end_time,
        regions,
        total_bytes,
        damos_stats,
        sample_interval_us,
    })
}

/// One decoded spool entry.
enum Entry {
    Start(usize),
    Snapshot(Snapshot),
    End(usize),
}

/// How many decoded entries the decoder may be ahead of the sink.
const AHEAD: usize = 64;

/// Replays the spool in `file` into `sink`: a helper thread reads and
/// decodes the entries while the sink works on the previous ones, so a
/// report's second pass costs it only its own work.
fn replay(file: &File, metas: &[RecordMeta], sink: &mut dyn Sink) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Entry>>(AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut input = BufReader::with_capacity(1 << 16, file);
            let mut payload = Vec::new();
            loop {
                match next_entry(&mut input, &mut payload) {
                    Ok(None) => break,
                    Ok(Some(e)) => {
                        if tx.send(Ok(e)).is_err() {
                            break; // the sink failed and stopped listening
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        let mut current: Option<&RecordMeta> = None;
        for entry in rx {
            match entry? {
                Entry::Start(i) => {
                    let m = metas.get(i).context("corrupt spool file")?;
                    current = Some(m);
                    sink.record_start(m)?;
                }
                Entry::Snapshot(s) => sink.snapshot(current.context("corrupt spool file")?, s)?,
                Entry::End(i) => sink.record_end(metas.get(i).context("corrupt spool file")?)?,
            }
        }
        Ok(())
    })
}

/// The next entry of the spool, `None` at its end (`payload` is the
/// buffer its bytes are read into).
fn next_entry(input: &mut impl Read, payload: &mut Vec<u8>) -> Result<Option<Entry>> {
    let mut head = [0u8; 5];
    match input.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e).context("cannot read the temporary spool file"),
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    payload.resize(len, 0);
    input
        .read_exact(payload)
        .context("cannot read the temporary spool file")?;
    let mut r = Rd { b: payload, pos: 0 };
    Ok(Some(match head[0] {
        TAG_START => Entry::Start(r.uvar()? as usize),
        TAG_SNAPSHOT => Entry::Snapshot(read_snapshot(&mut r)?),
        TAG_END => Entry::End(r.uvar()? as usize),
        _ => bail!("corrupt spool file"),
    }))
}

/// Records that can be read several times: the first read parses the
/// files and spools them, later reads replay the spool.
pub struct Source {
    files: RecordFiles,
    use_spool: bool,
    spool: Option<(File, Vec<RecordMeta>)>,
}

struct Tee<'a> {
    inner: &'a mut dyn Sink,
    out: BufWriter<&'a File>,
    metas: Vec<RecordMeta>,
    scratch: Vec<u8>,
}

impl Tee<'_> {
    fn meta_entry(&mut self, tag: u8, meta: &RecordMeta) -> Result<()> {
        self.metas.push(meta.clone());
        self.scratch.clear();
        put_uvar(&mut self.scratch, (self.metas.len() - 1) as u128)?;
        put_entry(&mut self.out, tag, &self.scratch)?;
        Ok(())
    }
}

impl Sink for Tee<'_> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.meta_entry(TAG_START, meta)?;
        self.inner.record_start(meta)
    }
    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        self.scratch.clear();
        write_snapshot(&mut self.scratch, &s)?;
        put_entry(&mut self.out, TAG_SNAPSHOT, &self.scratch)?;
        self.inner.snapshot(meta, s)
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        // The start meta may lack keys that follow the snapshots.
        self.meta_entry(TAG_END, meta)?;
        self.inner.record_end(meta)
    }
}

impl Source {
    /// A source that spools its first read for the later ones.
    pub fn new(files: RecordFiles) -> Self {
        Source {
            files,
            use_spool: true,
            spool: None,
        }
    }

    /// A source for a single read (no spool).
    pub fn once(files: RecordFiles) -> Self {
        Source {
            files,
            use_spool: false,
            spool: None,
        }
    }

    pub fn files(&self) -> &RecordFiles {
        &self.files
    }

    /// Reads all records into `sink`.
    pub fn read(&mut self, sink: &mut dyn Sink) -> Result<()> {
        if let Some((file, metas)) = &mut self.spool {
            file.seek(SeekFrom::Start(0))?;
            return replay(file, metas, sink);
        }
        if !self.use_spool {
            return self.files.read(sink);
        }
        let file = crate::outfile::anonymous_file()?;
        let metas = {
            let mut tee = Tee {
                inner: sink,
                out: BufWriter::with_capacity(1 << 16, &file),
                metas: Vec::new(),
                scratch: Vec::new(),
            };
            self.files.read(&mut tee)?;
            tee.out
                .flush()
                .context("cannot write the temporary spool file")?;
            tee.metas
        };
        self.spool = Some((file, metas));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Collect;
    use crate::record::synth::{Params, generate};
    use crate::record::write::FileWriter;

    #[test]
    fn replay_equals_first_read() {
        let dir = std::env::temp_dir().join(format!("damo-spool-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.data");
        let mut w = FileWriter::create(&path, crate::record::Format::JsonCompressed).unwrap();
        let p = Params {
            targets: 2,
            snapshots: 20,
            regions: 15,
            intervals: true,
            damos: true,
            seed: 5,
        };
        generate(&p, &mut w).unwrap();
        w.commit(None).unwrap();
        let mut src = Source::new(RecordFiles::new(&[&path]));
        let mut first = Collect::default();
        src.read(&mut first).unwrap();
        let mut second = Collect::default();
        src.read(&mut second).unwrap();
        assert_eq!(first.0, second.0);
        assert_eq!(first.0.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
