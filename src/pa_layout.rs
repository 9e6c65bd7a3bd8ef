//! The physical address layout: System RAM ranges from `/proc/iomem`, and
//! their NUMA nodes and states from the memory blocks under
//! `/sys/devices/system/{memory,node}` (damo's `report pa_layout` logic,
//! used for the default paddr region and `--numa_node`).
//!
//! Both roots can be redirected for tests: `DAMO_SYSFS_ROOT` stands for
//! `/sys`, `DAMO_PROC_ROOT` for `/proc`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// One physical address range and what backs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaddrRange {
    pub start: i128,
    pub end: i128,
    pub nid: Option<i128>,
    pub state: Option<String>,
    pub name: Option<String>,
}

fn iomem_text() -> Result<String> {
    let path = crate::env::get().proc_root.join("iomem");
    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

/// `start-end : name` lines of /proc/iomem, as half-open ranges.
fn iomem_ranges(text: &str) -> Vec<PaddrRange> {
    text.lines()
        .filter_map(|line| {
            let (range, name) = line.split_once(':')?;
            let (a, b) = range.trim().split_once('-')?;
            let start = i128::from_str_radix(a, 16).ok()?;
            let end = i128::from_str_radix(b, 16).ok()? + 1;
            Some(PaddrRange {
                start,
                end,
                nid: None,
                state: None,
                name: Some(name.trim().to_string()),
            })
        })
        .collect()
}

/// The span from the first to the end of the last System RAM range of
/// /proc/iomem (damo's default paddr monitoring region).
pub fn default_paddr_region() -> Result<[i128; 2]> {
    let text =
        iomem_text().context("the default paddr region needs /proc/iomem; give --regions")?;
    let mut span: Option<[i128; 2]> = None;
    for line in text.lines() {
        // damo takes lines with exactly one colon.
        if line.matches(':').count() != 1 {
            continue;
        }
        let Some(r) = iomem_ranges(line).pop() else {
            continue;
        };
        if !r
            .name
            .as_deref()
            .unwrap_or_default()
            .starts_with("System RAM")
        {
            continue;
        }
        span = Some(match span {
            None => [r.start, r.end],
            Some([s, _]) => [s, r.end],
        });
    }
    span.context("no System RAM in /proc/iomem; give --regions")
}

fn memory_dir() -> PathBuf {
    crate::env::get().sys_root.join("devices/system/memory")
}

fn read_trim(p: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(p)
        .with_context(|| format!("cannot read {}", p.display()))?
        .trim()
        .to_string())
}

/// Memory blocks as ranges, merged where contiguous with the same node and
/// state.
fn memblock_ranges() -> Result<Vec<PaddrRange>> {
    let block_file = memory_dir().join("block_size_bytes");
    let sz_block = i128::from_str_radix(&read_trim(&block_file)?, 16)
        .with_context(|| format!("{} is not a hex number", block_file.display()))?;
    let node_root = crate::env::get().sys_root.join("devices/system/node");
    let mut ranges = Vec::new();
    let nodes = std::fs::read_dir(&node_root)
        .with_context(|| format!("cannot list {}", node_root.display()))?;
    for node in nodes.flatten() {
        let name = node.file_name().to_string_lossy().to_string();
        let Some(nid) = name
            .strip_prefix("node")
            .and_then(|n| n.parse::<i128>().ok())
        else {
            continue;
        };
        for f in std::fs::read_dir(node.path())?.flatten() {
            let fname = f.file_name().to_string_lossy().to_string();
            let Some(index) = fname
                .strip_prefix("memory")
                .and_then(|i| i.parse::<i128>().ok())
            else {
                continue;
            };
            let state = read_trim(&f.path().join("state"))?;
            ranges.push(PaddrRange {
                start: index * sz_block,
                end: (index + 1) * sz_block,
                nid: Some(nid),
                state: Some(state),
                name: None,
            });
        }
    }
    ranges.sort_by_key(|r| (r.nid, r.start));
    let mut merged: Vec<PaddrRange> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if last.end == r.start && last.nid == r.nid && last.state == r.state => {
                last.end = r.end
            }
            _ => merged.push(r),
        }
    }
    Ok(merged)
}

/// The /proc/iomem ranges with the node and state of the memory block
/// holding them (a range crossing a block end is split there).
pub fn paddr_ranges() -> Result<Vec<PaddrRange>> {
    let blocks = memblock_ranges()?;
    let mut pending = iomem_ranges(&iomem_text()?);
    let mut merged = Vec::new();
    let mut i = 0;
    while i < pending.len() {
        let mut r = pending[i].clone();
        for b in &blocks {
            if b.start <= r.start && r.end <= b.end {
                r.nid = b.nid;
                r.state = b.state.clone();
                merged.push(r.clone());
            } else if b.start <= r.start && r.start < b.end && b.end < r.end {
                pending.push(PaddrRange {
                    start: b.end,
                    end: r.end,
                    nid: None,
                    state: None,
                    name: r.name.clone(),
                });
                r.end = b.end;
                r.nid = b.nid;
                r.state = b.state.clone();
                merged.push(r.clone());
            }
        }
        i += 1;
    }
    merged.sort_by_key(|r| r.start);
    Ok(merged)
}

/// The System RAM ranges of NUMA nodes, in the order given, contiguous
/// ranges joined (damo's `numa_addr_ranges`).
pub fn numa_addr_ranges(nodes: &[i128]) -> Result<Vec<[i128; 2]>> {
    if !memory_dir().is_dir() {
        bail!(
            "{} not found; --numa_node needs a kernel with CONFIG_MEMORY_HOTPLUG \
             (or give --regions)",
            memory_dir().display()
        );
    }
    let all = paddr_ranges()?;
    let mut ranges: Vec<[i128; 2]> = Vec::new();
    for &node in nodes {
        let mut node_ranges: Vec<[i128; 2]> = Vec::new();
        for r in &all {
            if r.nid != Some(node)
                || !r
                    .name
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("System RAM")
            {
                continue;
            }
            match node_ranges.last_mut() {
                Some(last) if last[1] == r.start => last[1] = r.end,
                _ => node_ranges.push([r.start, r.end]),
            }
        }
        if let (Some(last), Some(first)) = (ranges.last_mut(), node_ranges.first())
            && last[1] == first[0]
        {
            last[1] = first[1];
            node_ranges.remove(0);
        }
        ranges.extend(node_ranges);
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iomem_lines() {
        let r = iomem_ranges(
            "00001000-0009fbff : System RAM\n  000a0000-000bffff : PCI Bus 0000:00\nbad\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].start, r[0].end), (0x1000, 0x9fc00));
        assert_eq!(r[1].name.as_deref(), Some("PCI Bus 0000:00"));
    }
}
