//! The reports that reach the kernel: what each may touch (root, the DAMON
//! interface) is decided here; the reports themselves (`crate::report`)
//! only read what they are given.  Reports of record files are called
//! straight from [`super::run`].

use anyhow::Result;

use crate::cli::opts::{
    Diagnose, ReportAccess, ReportAttrs, ReportDamon, ReportSysinfo, ReportTrace,
};
use crate::report;
use crate::sysfs::{Interface, Sysfs, require_root_for};

/// `report damon`: the running kdamonds, or a record of them.
pub fn damon(o: &ReportDamon) -> Result<()> {
    let kernel = || super::open_sysfs("report damon", o.debug_damon, o.damon_interface_deprecated);
    report::damon::main(o, &kernel)
}

/// `report access`: a record, or a live snapshot.
pub fn access(o: &ReportAccess) -> Result<()> {
    let kernel = || super::open_sysfs("report access", o.debug_damon, o.damon_interface_deprecated);
    report::access::main(o, &kernel)
}

/// `report attrs`: a record with the DAMON parameters beside it, or a
/// live snapshot with the running kdamonds' probes.
pub fn attrs(o: &ReportAttrs) -> Result<()> {
    let kernel = || super::open_sysfs("report attrs", o.debug_damon, o.damon_interface_deprecated);
    report::attrs::main(o, &kernel)
}

/// `report trace`: a recorded trace, or DAMON's trace events live (root).
pub fn trace(o: &ReportTrace) -> Result<()> {
    if o.input.is_none() {
        require_root_for("report trace")?;
    }
    report::trace::main(o)
}

/// `report sysinfo` (root).
pub fn sysinfo(o: &ReportSysinfo) -> Result<()> {
    require_root_for("report sysinfo")?;
    report::sysinfo::main(o, &Sysfs::open()?)
}

/// `diagnose`.
pub fn diagnose(o: &Diagnose) -> Result<()> {
    report::diagnose::main(o, &Sysfs::open_for("diagnose", Interface::Auto)?)
}
