//! Any bytes as a record file (json_compressed, JSON, perf script text):
//! read through the same `record::read_from` all reports use.  Errors are
//! fine; panics, aborts and hangs are bugs.  A record that reads must
//! also obey the round-trip rule: written as JSON it reads back as the
//! same record, and written as perf_script it reads back (or the writer
//! refuses it, naming what trace text cannot hold).
#![no_main]

use damo::record::write::{JsonWriter, PerfScriptLimit, PerfScriptWriter};
use damo::record::{Collect, Record, Sink, read_from};
use libfuzzer_sys::fuzz_target;

fn write_all(records: &[Record], sink: &mut dyn Sink) -> anyhow::Result<()> {
    for r in records {
        sink.record_start(&r.meta)?;
        for s in &r.snapshots {
            sink.snapshot(&r.meta, s.clone())?;
        }
        sink.record_end(&r.meta)?;
    }
    Ok(())
}

fn read_back(bytes: Vec<u8>) -> Vec<Record> {
    let mut c = Collect::default();
    if let Err(e) = read_from(std::io::Cursor::new(bytes), &mut c) {
        panic!("a written record does not read back: {e:#}");
    }
    c.0
}

fuzz_target!(|data: &[u8]| {
    let mut first = Collect::default();
    if read_from(std::io::Cursor::new(data.to_vec()), &mut first).is_err() {
        return;
    }
    let records = first.0;
    let mut w = JsonWriter::new(Vec::new());
    write_all(&records, &mut w).expect("writing JSON to memory");
    let again = read_back(w.finish().expect("finishing JSON"));
    assert_eq!(records.len(), again.len(), "JSON round trip changed the records");
    for (a, b) in records.iter().zip(&again) {
        assert_eq!(a.snapshots.len(), b.snapshots.len(), "JSON round trip lost snapshots");
        for (x, y) in a.snapshots.iter().zip(&b.snapshots) {
            assert_eq!(x.regions, y.regions, "JSON round trip changed regions");
        }
    }
    let mut p = PerfScriptWriter::new(Vec::new());
    match write_all(&records, &mut p).and_then(|()| p.finish()) {
        Ok(text) => {
            read_back(text);
        }
        Err(e) => assert!(
            e.is::<PerfScriptLimit>(),
            "the perf_script writer failed: {e:#}"
        ),
    }
});
