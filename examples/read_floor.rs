//! Bench tool: the floor of reading a record file, for bench/report.sh.
//! `read_floor FILE` prints `INFLATE TOKENIZE` in seconds: streaming zlib
//! inflate of the file (zlib-rs, 1 MiB reads; 0 for a plain JSON file)
//! and serde_json tokenizing the whole text from a slice (IgnoredAny).
//! Every reader has to do at least that much work; on two cores the two
//! can overlap, so the floor is the larger of the two (bench/report.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench tool
use std::io::Read;
use std::time::Instant;

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    (best, last.expect("n > 0"))
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("usage: read_floor FILE");
    let raw = std::fs::read(&path)?;
    let compressed = raw.first() == Some(&0x78);
    let (inflate, text) = if compressed {
        best_of(3, || {
            let mut z = flate2::read::ZlibDecoder::new(&raw[..]);
            let mut text = Vec::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let k = z.read(&mut buf).expect("inflate");
                if k == 0 {
                    break;
                }
                text.extend_from_slice(&buf[..k]);
            }
            text
        })
    } else {
        (0.0, raw.clone())
    };
    let (tokenize, _) = best_of(3, || {
        let _: serde::de::IgnoredAny = serde_json::from_slice(&text).expect("JSON");
    });
    println!("{inflate:.3} {tokenize:.3}");
    Ok(())
}
