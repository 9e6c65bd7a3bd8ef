//! Deterministic synthetic records, for tests and benchmarks.
//!
//! A record here imitates a process with a few memory areas whose hot spots
//! move over time.  The same parameters always give the same bytes.

use anyhow::Result;

use super::{Age, Intervals, IntervalsGoal, NrAccesses, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{I, Num};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Params {
    pub targets: usize,
    pub snapshots: usize,
    pub regions: usize,
    /// Whether records carry monitoring intervals (3.x layout) or not.
    pub intervals: bool,
    /// Make records look like DAMOS snapshots: auto-tuned intervals,
    /// scheme filters and stats, filter-passed sizes, probe hits, and a
    /// `damon_stat` data source on the second target.
    pub damos: bool,
    pub seed: u64,
}

/// A small xorshift generator (no dependency, stable output).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const PAGE: i128 = 4096;
const AGGR_NS: i128 = 100_000_000;

/// Feeds the synthetic records to `sink`.
pub fn generate(p: &Params, sink: &mut dyn Sink) -> Result<()> {
    let mut rng = Rng(p.seed.max(1));
    for t in 0..p.targets {
        let meta = RecordMeta {
            intervals: p.intervals.then(|| Intervals {
                sample: I(5000),
                aggr: I(100_000),
                ops_update: I(1_000_000),
                goal: if p.damos {
                    IntervalsGoal {
                        access_bp: I(400),
                        aggrs: I(3),
                        min_sample_us: I(5000),
                        max_sample_us: I(10_000_000),
                    }
                } else {
                    IntervalsGoal::default()
                },
            }),
            target_id: Some(I(t as i128)),
            scheme_idx: p.damos.then_some(0),
            scheme_filters: if p.damos {
                vec![
                    serde_json::json!({"filter_type": "anon", "matching": true, "allow": true,
                        "memcg_path": "", "address_range": {"start": "0", "end": "0"},
                        "damon_target_idx": "0", "hugepage_size": ["0", "0"]}),
                    serde_json::json!({"filter_type": "addr", "matching": true, "allow": false,
                        "memcg_path": "", "address_range": {"start": "4096", "end": "8192"},
                        "damon_target_idx": "0", "hugepage_size": ["0", "0"]}),
                ]
            } else {
                Vec::new()
            },
            data_source: if p.damos && t == 1 {
                "damon_stat".to_string()
            } else {
                "unknown".to_string()
            },
            ..RecordMeta::default()
        };
        sink.record_start(&meta)?;
        // Two areas (heap-like and stack-like) with a gap between.
        let base = 0x5555_0000_0000i128 + (t as i128) * 0x1000_0000;
        let heap_pages = 4096 + rng.below(4096) as i128;
        let stack_base = base + 0x7f00_0000;
        let stack_pages = 256;
        let mut ages: Vec<i128> = vec![0; p.regions];
        let start_ns = 1_000_000_000_000i128;
        for s in 0..p.snapshots {
            let hot = (s * 7 % p.regions.max(1)) as i128;
            let mut regions = Vec::with_capacity(p.regions);
            let heap_regions = (p.regions * 9 / 10).max(1);
            for (i, age) in ages.iter_mut().enumerate() {
                let (area_start, pages, idx, n) = if i < heap_regions {
                    (base, heap_pages, i, heap_regions)
                } else {
                    (
                        stack_base,
                        stack_pages,
                        i - heap_regions,
                        p.regions - heap_regions,
                    )
                };
                let start = area_start + pages * (idx as i128) / (n as i128) * PAGE;
                let end = area_start + pages * (idx as i128 + 1) / (n as i128) * PAGE;
                let dist = (i as i128 - hot).abs();
                let samples = if dist < 3 {
                    crate::fmt::sat_u64(20 - dist * 5)
                } else {
                    rng.below(3)
                };
                let samples = if rng.below(5) == 0 { 0 } else { samples };
                *age = if samples == 0 {
                    *age + 1
                } else {
                    rng.below(3) as i128
                };
                regions.push(Region {
                    start,
                    end,
                    nr_accesses: Some(NrAccesses {
                        samples: Some(I(samples as i128)),
                        percent: None,
                    }),
                    age: Age {
                        usec: None,
                        aggr_intervals: Some(I(*age)),
                    },
                    probe_hits: if p.damos {
                        vec![I((i % 3) as i128), I((i * 7 % 5) as i128)]
                    } else {
                        Vec::new()
                    },
                    sz_filter_passed: Some(if p.damos && i % 4 == 0 {
                        0
                    } else {
                        ((end - start) / 2 / PAGE) * PAGE
                    }),
                });
            }
            let end_ns = start_ns + (s as i128 + 1) * AGGR_NS + rng.below(1000) as i128;
            let begin: Num = I(start_ns + s as i128 * AGGR_NS);
            // DAMOS-like snapshots: every third one lasts longer (auto-tuned
            // intervals), every other one says its sampling interval.
            let end_ns = if p.damos && s % 3 == 2 {
                end_ns + AGGR_NS / 2
            } else {
                end_ns
            };
            let mut snapshot = Snapshot::new(Some(begin), I(end_ns), regions);
            if p.damos {
                if s % 2 == 1 {
                    snapshot.sample_interval_us = Some(I(4000));
                }
                snapshot.damos_stats = Some(serde_json::json!({
                    "nr_tried": format!("{}", s * 3), "sz_tried": format!("{}", s * 40960),
                    "nr_applied": "0", "sz_applied": "0",
                    "sz_ops_filter_passed": "8192", "qt_exceeds": "1",
                    "nr_snapshots": format!("{s}"), "max_nr_snapshots": "0"}));
            }
            sink.snapshot(&meta, snapshot)?;
        }
        sink.record_end(&meta)?;
    }
    Ok(())
}
