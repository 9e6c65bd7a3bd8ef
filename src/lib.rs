//! damo: a drop-in replacement for damo 3.4.3, the user-space tool of the
//! Linux kernel's DAMON (Data Access MONitor).
//!
//! - [`cli`]: the command table, an argparse-compatible parser, dispatch;
//! - [`fmt`]: units and damo's number formats (Python semantics);
//! - [`record`]: damon.data records: model, readers, writers;
//! - [`report`]: one module per report;
//! - [`sysfs`]: the kdamond layer (DAMON's sysfs interface);
//! - [`live`]: snapshots of running kdamonds, as records;
//! - [`commands`]: every command's entry point, above all of these;
//! - [`interrupt`]: SIGINT/SIGTERM as a flag to poll;
//! - [`output`]: writing to stdout;
//! - [`proc`]: processes from /proc (alive, children, CPU usage);
//! - [`progress`]: progress bars on a terminal's stderr (the record layer
//!   counts bytes on a meter; the command layer turns drawing on).

pub mod cli;
pub mod commands;
pub mod damon;
pub mod env;
pub mod fmt;
pub mod interrupt;
pub mod live;
pub mod outfile;
pub mod output;
pub mod pa_layout;
pub mod proc;
pub mod progress;
pub mod record;
pub mod report;
pub mod sysfs;
