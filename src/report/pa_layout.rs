//! `damo report pa_layout`: the physical address space, from /proc/iomem
//! and the NUMA nodes' memory blocks (`sysfs::pa_layout`).

use anyhow::Result;

use crate::cli::opts::ReportPaLayout;
use crate::fmt::pynum::I;
use crate::fmt::{self as units};
use crate::pa_layout;

pub fn main(args: &ReportPaLayout) -> Result<()> {
    let raw = args.raw_number;
    let sz = |v: i128| units::format_sz(I(v), raw);
    let mut out = String::new();
    if let Some(node) = args.numa_addr {
        for [start, end] in pa_layout::numa_addr_ranges(&[node])? {
            out.push_str(&format!(
                "[{}, {}) (size {})\n",
                sz(start),
                sz(end),
                sz(end - start)
            ));
        }
        return crate::output::print(&out);
    }
    // damo filters by --numa_node only when it is not 0
    let node = args.numa_node.filter(|n| *n != 0);
    out.push_str(&format!(
        "#{:>14} {:>14}\tnode\tstate\tresource\tsize\n",
        "start", "end"
    ));
    for r in pa_layout::paddr_ranges()? {
        if node.is_some() && r.nid != node {
            continue;
        }
        out.push_str(&format!(
            "{:>15} {:>15}\t{}\t{}\t{}\t{}\n",
            sz(r.start),
            sz(r.end),
            r.nid.map_or("None".into(), |n| units::format_nr(I(n), raw)),
            r.state.as_deref().unwrap_or("None"),
            r.name.as_deref().unwrap_or("None"),
            sz(r.end - r.start)
        ));
    }
    let [start, end] = pa_layout::default_paddr_region()?;
    out.push_str(&format!(
        "Default paddr monitoring range: [{}, {}) (size {})\n",
        sz(start),
        sz(end),
        sz(end - start)
    ));
    crate::output::print(&out)
}
