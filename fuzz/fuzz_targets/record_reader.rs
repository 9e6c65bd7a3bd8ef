//! Any bytes as a record file (json_compressed, JSON, perf script text):
//! read into a sink that touches every field, through the same
//! `record::read_from` all reports use.  Errors are fine; panics,
//! aborts and hangs are bugs.
#![no_main]

use damo::record::{RecordMeta, Sink, Snapshot, read_from};
use libfuzzer_sys::fuzz_target;

struct Touch(u64);

impl Sink for Touch {
    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> anyhow::Result<()> {
        for r in &s.regions {
            self.0 = self.0.wrapping_add(r.size() as u64);
            let _ = r.samples();
        }
        let _ = s.start();
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut sink = Touch(0);
    let _ = read_from(std::io::Cursor::new(data.to_vec()), &mut sink);
});
