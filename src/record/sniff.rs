//! Telling record formats apart by their first bytes.
//!
//! damo asks `file(1)` and trusts its exact wording, which breaks whenever
//! `file` changes its wording (damo 3.4.3 cannot read its own JSON records
//! on hosts with file 5.44).  We look at the content instead:
//! - zlib stream (RFC 1950): first byte 0x?8 with a header checksum that is
//!   a multiple of 31: json_compressed;
//! - `[` or `{` after optional white space: JSON;
//! - `PERFILE2`: perf.data;
//! - anything else: perf script text.

#![deny(clippy::string_slice, clippy::indexing_slicing)] // trace text from anywhere: no byte slicing, no unchecked index

use std::io::{BufRead, BufReader, Read};

use super::Format;

fn is_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8
                && (cmf >> 4) <= 7
                && ((*cmf as u16) << 8 | *flg as u16).is_multiple_of(31)
        }
        _ => false,
    }
}

/// Detects the format of `file`, returning it with a reader positioned at
/// the start of the content.
pub fn sniff<R: Read>(file: R) -> std::io::Result<(Format, BufReader<R>)> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf()?;
    let format = detect(head);
    Ok((format, reader))
}

/// The format of content starting with `head`.
pub fn detect(head: &[u8]) -> Format {
    if head.starts_with(b"PERFILE2") {
        return Format::PerfData;
    }
    if is_zlib(head) {
        return Format::JsonCompressed;
    }
    if head.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    if head.starts_with(b"{\"schema\":") {
        return Format::Ndjson;
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') | Some(b'{') => Format::Json,
        _ => Format::PerfScript,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects() {
        assert_eq!(detect(&[0x78, 0x9c, 0, 0]), Format::JsonCompressed);
        assert_eq!(detect(&[0x78, 0x01]), Format::JsonCompressed);
        assert_eq!(detect(&[0x78, 0x9d]), Format::PerfScript);
        assert_eq!(detect(b"\n  [\n"), Format::Json);
        assert_eq!(detect(b"PERFILE2...."), Format::PerfData);
        assert_eq!(
            detect(b"kdamond.0 4452 [000] 1.0: damon:damon_aggregated:"),
            Format::PerfScript
        );
        assert_eq!(detect(b""), Format::PerfScript);
        assert_eq!(detect(b"PAR1\x15\x04"), Format::Parquet);
        assert_eq!(
            detect(b"{\"schema\":1,\"type\":\"record\"}"),
            Format::Ndjson
        );
    }
}
