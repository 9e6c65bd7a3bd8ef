//! Dev tool: time the stages of reading a record file (inflate, JSON
//! tokenizing, full parse).  `profile_read FILE`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
use std::io::Read;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_default();
    let raw = std::fs::read(&path)?;
    let t = Instant::now();
    let mut text = Vec::new();
    flate2::read::ZlibDecoder::new(&raw[..]).read_to_end(&mut text)?;
    println!("inflate: {:?} ({} MB)", t.elapsed(), text.len() >> 20);
    let t = Instant::now();
    let mut z = flate2::read::ZlibDecoder::new(&raw[..]);
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    loop {
        let k = z.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k;
    }
    println!("inflate streaming: {:?} ({} MB)", t.elapsed(), n >> 20);
    let t = Instant::now();
    let _: serde::de::IgnoredAny = serde_json::from_slice(&text)?;
    println!("tokenize (from_slice): {:?}", t.elapsed());
    let t = Instant::now();
    let _: serde::de::IgnoredAny = serde_json::from_reader(std::io::BufReader::new(&text[..]))?;
    println!("tokenize (from_reader): {:?}", t.elapsed());
    let t = Instant::now();
    let (stripped, blobs) = damo::record::pipe::scan(&text);
    println!(
        "scan: {:?} (skeleton {} KB, {} snapshots)",
        t.elapsed(),
        stripped.len() >> 10,
        blobs.len()
    );
    let t = Instant::now();
    let fast = blobs
        .iter()
        .filter(|b| damo::record::fastjson::snapshot(b).is_some())
        .count();
    println!(
        "fastjson on the snapshots: {:?} ({fast} taken)",
        t.elapsed()
    );
    let t = Instant::now();
    let mut c = damo::record::Collect::default();
    damo::record::json::read_slice(&text, &mut c)?;
    println!("full parse from slice: {:?}", t.elapsed());
    let t = Instant::now();
    let recs = damo::record::RecordFiles::new(&[&path]).load()?;
    println!("full parse: {:?} ({} records)", t.elapsed(), recs.len());
    Ok(())
}
