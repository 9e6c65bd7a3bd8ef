//! Reports: one module per `damo report` subcommand.

/// Opens the DAMON interface for a live report, with the checks its
/// command makes (root, the interface); given by the command layer.
pub type Kernel<'a> = &'a dyn Fn() -> anyhow::Result<crate::sysfs::Sysfs>;

pub mod access;
pub mod attrs;
pub mod color;
pub mod damon;
pub mod diagnose;
pub mod dist;
pub mod footprints;
pub mod heatmap;
pub mod holistic;
pub mod metrics;
pub mod nr_regions;
pub mod pa_layout;
pub mod plot;
pub mod profile;
pub mod record_info;
pub mod sysinfo;
pub mod times;
pub mod trace;
pub mod wss;
