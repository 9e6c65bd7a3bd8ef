//! The DAMON parameter model: kdamonds, contexts, targets, schemes and
//! their JSON forms.
//!
//! So far it holds what record files carry about DAMOS: the snapshot
//! scheme's filters and stats.

pub mod damos;
