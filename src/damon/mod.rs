//! The DAMON parameter model: kdamonds, contexts, targets, schemes and
//! their JSON forms.
//!
//! `model` holds the kdamond tree and its JSON form, `damos` DAMOS
//! filters and stats (also found in record files), `args` builds the tree
//! from damo's command-line options, `yaml` reads and writes the YAML form.

pub mod args;
pub mod damos;
pub mod input;
pub mod js;
pub mod model;
pub mod show;
pub mod yaml;
