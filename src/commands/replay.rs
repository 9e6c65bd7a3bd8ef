//! `damo replay`: re-creates a record's access pattern in this process.
//!
//! damo 3.4.3 replays in Python, one lazily allocated bytearray per 4 KiB
//! page, busy-waiting between time slices.  Here the record's address
//! ranges are mapped as anonymous memory (`MAP_NORESERVE`: only what is
//! touched becomes resident) with their relative layout kept, so a
//! recording of the replay shows the same shape at other addresses.
//! Timing follows damo: each snapshot's duration is cut into
//! `aggr / sample` slices, and in slice `i` every region with more than
//! `i` access samples has each of its pages written once; the rest of the
//! slice is slept, not spun.
//!
//! The record is read twice, streaming: once for the address ranges and
//! the snapshot count, once to replay.

use std::num::NonZeroUsize;
use std::path::Path;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

use crate::cli::opts::Replay;
use crate::fmt::format_sz;
use crate::fmt::pynum::{F, Num};
use crate::record::filter::add_unset_units;
use crate::record::{RecordMeta, Region, Sink, Snapshot};

const PAGE: usize = 4096;

/// The record's address ranges, mapped into this process.
struct Space {
    /// `(start address in the record, end, where it is mapped)`, sorted.
    maps: Vec<(i128, i128, NonNull<u8>)>,
}

impl Space {
    fn map(ranges: &[(i128, i128)]) -> Result<Space> {
        let mut maps = Vec::new();
        for &(start, end) in ranges {
            let len = usize::try_from(end - start)
                .ok()
                .and_then(NonZeroUsize::new)
                .with_context(|| format!("bad address range {start}-{end} in the record"))?;
            // SAFETY: a fresh private anonymous mapping; nothing else
            // refers to it, and it is unmapped in Drop.
            let p = unsafe {
                mmap_anonymous(
                    None,
                    len,
                    ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                    MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
                )
            }
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot map {} for the record's range {start:#x}-{end:#x} ({e}); \
                     the record spans more address space than this machine allows",
                    format_sz(Num::I(len.get() as i128), false)
                )
            })?;
            maps.push((start, end, p.cast::<u8>()));
        }
        Ok(Space { maps })
    }

    /// Writes one byte in every page of `[start, end)` of the record's
    /// address space.
    fn touch(&self, start: i128, end: i128) {
        for &(ms, me, base) in &self.maps {
            let (s, e) = (start.max(ms), end.min(me));
            if s >= e {
                continue;
            }
            let first = ((s - ms) as usize) & !(PAGE - 1);
            let last = (e - ms) as usize;
            let mut off = first;
            while off < last {
                // SAFETY: `off` is inside the mapping [base, base + me - ms).
                unsafe { std::ptr::write_volatile(base.as_ptr().add(off), 1) };
                off += PAGE;
            }
        }
    }
}

impl Drop for Space {
    fn drop(&mut self) {
        for &(s, e, p) in &self.maps {
            // SAFETY: each mapping was made by `map` with this length.
            let _ = unsafe { munmap(p.cast(), (e - s) as usize) };
        }
    }
}

/// First pass: the number of records, the first record's snapshots and
/// the union of its regions' ranges.
#[derive(Default)]
struct Survey {
    records: usize,
    snapshots: usize,
    ranges: Vec<(i128, i128)>,
    /// The most bytes one snapshot makes resident (its accessed regions).
    max_touched: i128,
}

impl Sink for Survey {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.records += 1;
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        if self.records > 1 {
            return Ok(());
        }
        self.snapshots += 1;
        let touched: i128 = s
            .regions
            .iter()
            .filter(|r| r.samples().is_ok_and(|n| n.f() > 0.0))
            .map(Region::size)
            .sum();
        self.max_touched = self.max_touched.max(touched);
        for r in &s.regions {
            if r.end <= r.start {
                bail!("region {}-{} ends before it starts", r.start, r.end);
            }
            self.ranges.push((r.start, r.end));
        }
        // keep the list short: merge as we go
        if self.ranges.len() > 4096 {
            self.ranges = merged(std::mem::take(&mut self.ranges));
        }
        Ok(())
    }
}

/// MemAvailable of /proc/meminfo, in bytes.
fn available_memory() -> Option<i128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: i128 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Sorted, page-aligned, overlapping or touching ranges merged.
fn merged(mut v: Vec<(i128, i128)>) -> Vec<(i128, i128)> {
    let page = PAGE as i128;
    for r in v.iter_mut() {
        r.0 = r.0.div_euclid(page) * page;
        r.1 = (r.1 + page - 1).div_euclid(page) * page;
    }
    v.sort_unstable();
    let mut out: Vec<(i128, i128)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Second pass: replays the first record's snapshots.
struct Player<'a> {
    space: &'a Space,
    records: usize,
    done: usize,
    total: usize,
    started: Instant,
    notice_every: Duration,
    next_notice: Instant,
    out: String,
}

impl Player<'_> {
    fn play(&mut self, meta: &RecordMeta, mut s: Snapshot) -> Result<()> {
        let iv = meta.intervals.as_ref().context(
            "the record has no monitoring intervals, so its timing is unknown: replay a \
                 json_compressed or JSON record written by damo record (perf script text has none)",
        )?;
        let end = s.end_time.f();
        let start = s
            .start_time
            .map_or_else(|| end - iv.aggr.f() * 1000.0, |t| t.f());
        let runtime = (end - start) / 1e9;
        let max_nr_accesses = iv.aggr.f() / iv.sample.f();
        if !(runtime > 0.0 && max_nr_accesses >= 1.0) {
            bail!(
                "snapshot ending at {end} ns has a duration of {runtime} s and {max_nr_accesses} \
                 samples per aggregation; nothing to replay"
            );
        }
        let slice = runtime / max_nr_accesses;
        let slice_dur = Duration::try_from_secs_f64(slice).map_err(|_| {
            anyhow::anyhow!(
                "snapshot ending at {end} ns: its time slice of {slice} s is not a usable \
                 duration; the record's times or intervals are damaged"
            )
        })?;
        let nr_slices = crate::fmt::sat_u64(F(runtime / slice).trunc());
        for r in s.regions.iter_mut() {
            add_unset_units(r, iv)?;
        }
        let samples: Vec<f64> = s
            .regions
            .iter()
            .map(|r| r.samples().map(|n| n.f()))
            .collect::<Result<_>>()?;
        for idx in 0..nr_slices {
            let slice_start = Instant::now();
            for (r, &n) in s.regions.iter().zip(&samples) {
                if (idx as f64) < n {
                    self.space.touch(r.start, r.end);
                }
            }
            let left = slice_dur.saturating_sub(slice_start.elapsed());
            if let Some(sig) = crate::interrupt::sleep(left) {
                crate::output::print(&std::mem::take(&mut self.out))?;
                bail!(crate::interrupt::Interrupted(sig));
            }
        }
        Ok(())
    }
}

impl Sink for Player<'_> {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.records += 1;
        Ok(())
    }

    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        if self.records > 1 {
            return Ok(());
        }
        self.play(meta, s)?;
        if Instant::now() >= self.next_notice {
            self.out.push_str(&format!(
                "{}/{} snapshots replayed in {:.3} seconds\n",
                self.done,
                self.total,
                self.started.elapsed().as_secs_f64()
            ));
            crate::output::print(&std::mem::take(&mut self.out))?;
            self.next_notice += self.notice_every;
        }
        self.done += 1;
        Ok(())
    }
}

/// `--test_perf`: how much memory the replayer touches per second.
fn test_perf(args: &Replay) -> Result<()> {
    let size = args.test_perf_sz_mem.trunc();
    let runtime = args.test_perf_runtime;
    if size <= 0 {
        bail!("--test_perf_sz_mem must be positive");
    }
    let space = Space::map(&[(0, size)])?;
    let begin = Instant::now();
    let mut window = Instant::now();
    let mut next = window + Duration::from_secs(1);
    let mut passes = 0u64;
    loop {
        space.touch(0, size);
        passes += 1;
        if Instant::now() >= next {
            let rate = size as f64 * passes as f64 / window.elapsed().as_secs_f64();
            crate::output::print(&format!(
                "replayer can access {} memory per second\n",
                format_sz(F(rate), false)
            ))?;
            next = Instant::now() + Duration::from_secs(1);
            passes = 0;
            window = Instant::now();
        }
        if let Some(sig) = crate::interrupt::received() {
            bail!(crate::interrupt::Interrupted(sig));
        }
        if begin.elapsed().as_secs_f64() >= runtime {
            return Ok(());
        }
    }
}

/// `damo replay [<file>]`.
pub fn main(args: &Replay) -> Result<()> {
    crate::interrupt::catch()?;
    if args.test_perf {
        return test_perf(args);
    }
    let input = args.input.as_str();
    let path = Path::new(input);
    if !path.is_file() {
        bail!("input file ({input}) not exists; record one with 'damo record'");
    }
    let notice = args.progress_notice_interval.unwrap_or(3.0);
    let notice = Duration::try_from_secs_f64(notice.max(0.0)).map_err(|_| {
        anyhow::anyhow!("--progress_notice_interval {notice}: not a usable number of seconds")
    })?;
    let mut survey = Survey::default();
    crate::record::read_file(path, &mut survey)
        .with_context(|| format!("parsing damon records file ({input}) failed"))?;
    if survey.records == 0 || survey.snapshots == 0 {
        bail!(
            "no monitoring records in the file: {}",
            crate::record::NO_SNAPSHOTS
        );
    }
    if survey.records != 1 {
        crate::output::print("supporting only single record for now\n")?;
    }
    // pages once touched stay resident: a record (or a hostile file)
    // whose accessed regions exceed the memory at hand would only end in
    // the OOM killer
    if let Some(avail) = available_memory()
        && survey.max_touched > avail
    {
        bail!(
            "replaying {input} would make {} resident in one snapshot, more than the {} of \
             memory available; replay a part of it ('damo adjust --address ...')",
            crate::fmt::format_sz(crate::fmt::pynum::I(survey.max_touched), false),
            crate::fmt::format_sz(crate::fmt::pynum::I(avail), false)
        );
    }
    let space = Space::map(&merged(survey.ranges))?;
    let now = Instant::now();
    let mut player = Player {
        space: &space,
        records: 0,
        done: 0,
        total: survey.snapshots,
        started: now,
        notice_every: notice.max(Duration::from_millis(1)),
        next_notice: now + notice,
        out: String::new(),
    };
    crate::record::read_file(path, &mut player)
        .with_context(|| format!("replaying {input} failed"))?;
    crate::output::print("all snapshots are replayed\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_page_aligned() {
        assert_eq!(
            merged(vec![(8192, 12288), (0, 4096), (4096, 5000), (20000, 30000)]),
            vec![(0, 12288), (16384, 32768)]
        );
    }

    #[test]
    fn touching_pages_makes_them_resident() {
        let space = Space::map(&[(1 << 40, (1 << 40) + 64 * 4096)]).unwrap();
        space.touch((1 << 40) + 4096, (1 << 40) + 3 * 4096);
        // outside the mapping: ignored, no crash
        space.touch(0, 4096);
        let (_, _, base) = space.maps[0];
        // SAFETY: inside the mapping
        let touched = unsafe { *base.as_ptr().add(4096) };
        let untouched = unsafe { *base.as_ptr().add(8 * 4096) };
        assert_eq!((touched, untouched), (1, 0));
    }
}
