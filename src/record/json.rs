//! Streaming reader of JSON records (the content of `json` and, after
//! inflating, `json_compressed` files).
//!
//! The file is a list of records; each record's `snapshots` list is visited
//! element by element and every snapshot goes to the sink as soon as it is
//! parsed, so memory stays at one snapshot however long the record is.
//! Numbers are accepted as JSON numbers or as damo's text forms
//! (`"94,827,419,009,024"`, `"31.340 MiB"`, `"1,234"`, `"5 ms"`).

#![deny(clippy::string_slice)] // text is never sliced by byte position here

use std::fmt;
use std::io::Read;

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::pipe::Blobs;
use super::{Age, Intervals, IntervalsGoal, NrAccesses, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units, ParseError};

type Parser = fn(&str) -> Result<Num, ParseError>;

/// Deserializes a numeric field (JSON number, damo text form, or null)
/// without allocating: text is parsed straight from the input buffer.
#[derive(Clone, Copy)]
struct NumField(&'static str, Parser);

impl<'de> DeserializeSeed<'de> for NumField {
    type Value = Option<Num>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Num>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumField {
    type Value = Option<Num>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a number, a number in text, or null for field '{}'",
            self.0
        )
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Num>, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<Num>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Num>, E> {
        Ok(Some(I(v as i128)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Num>, E> {
        Ok(Some(I(v as i128)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Num>, E> {
        Ok(Some(F(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Num>, E> {
        (self.1)(v)
            .map(Some)
            .map_err(|e| E::custom(format!("field '{}': {e}", self.0)))
    }
}

/// Map keys, matched without allocating.
struct Key(&'static str);

impl Key {
    fn as_str(&self) -> &'static str {
        self.0
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(match v {
                    "kdamond_idx" => "kdamond_idx",
                    "context_idx" => "context_idx",
                    "intervals" => "intervals",
                    "scheme_idx" => "scheme_idx",
                    "target_id" => "target_id",
                    "scheme_filters" => "scheme_filters",
                    "snapshots" => "snapshots",
                    "data_source" => "data_source",
                    "start_time" => "start_time",
                    "end_time" => "end_time",
                    "regions" => "regions",
                    "total_bytes" => "total_bytes",
                    "damos_stats" => "damos_stats",
                    "sample_interval_us" => "sample_interval_us",
                    "start" => "start",
                    "end" => "end",
                    "nr_accesses" => "nr_accesses",
                    "age" => "age",
                    "probe_hits" => "probe_hits",
                    "sz_filter_passed" => "sz_filter_passed",
                    "samples" => "samples",
                    "percent" => "percent",
                    "usec" => "usec",
                    "aggr_intervals" => "aggr_intervals",
                    _ => "",
                }))
            }
        }
        d.deserialize_identifier(V)
    }
}

fn required<E: de::Error>(v: Option<Num>, field: &str) -> Result<Num, E> {
    v.ok_or_else(|| E::custom(format!("field '{field}' must not be null")))
}

/// An integer field (an address, a size): a float is truncated as damo's
/// `int()` does, but NaN or infinity is an error, never 0.
fn integral<E: de::Error>(v: Num, field: &str) -> Result<i128, E> {
    if !v.f().is_finite() {
        return Err(E::custom(format!(
            "field '{field}' is {}, not a finite number",
            v.repr()
        )));
    }
    Ok(v.trunc())
}

fn de_err<E: de::Error>(msg: String) -> E {
    E::custom(msg)
}

struct NrAccessesV;
impl<'de> Visitor<'de> for NrAccessesV {
    type Value = NrAccesses;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an nr_accesses object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NrAccesses, A::Error> {
        let mut n = NrAccesses::default();
        while let Some(k) = map.next_key::<Key>()? {
            match k.as_str() {
                "samples" => {
                    n.samples = map.next_value_seed(NumField("samples", units::text_to_nr))?
                }
                "percent" => {
                    n.percent = map.next_value_seed(NumField("percent", units::text_to_percent))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(n)
    }
}

struct AgeV;
impl<'de> Visitor<'de> for AgeV {
    type Value = Age;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an age object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Age, A::Error> {
        let mut a = Age::default();
        while let Some(k) = map.next_key::<Key>()? {
            match k.as_str() {
                "usec" => a.usec = map.next_value_seed(NumField("usec", units::text_to_us))?,
                "aggr_intervals" => {
                    a.aggr_intervals =
                        map.next_value_seed(NumField("aggr_intervals", units::text_to_nr))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(a)
    }
}

macro_rules! seed_from_visitor {
    ($name:ident, $visitor:ident, $out:ty) => {
        struct $name;
        impl<'de> DeserializeSeed<'de> for $name {
            type Value = $out;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$out, D::Error> {
                d.deserialize_map($visitor)
            }
        }
    };
}
seed_from_visitor!(NrAccessesSeed, NrAccessesV, NrAccesses);
seed_from_visitor!(AgeSeed, AgeV, Age);

struct RegionV;
impl<'de> Visitor<'de> for RegionV {
    type Value = Region;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a region object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Region, A::Error> {
        let mut r = Region::default();
        let (mut start, mut end, mut age) = (None, None, None);
        while let Some(k) = map.next_key::<Key>()? {
            match k.as_str() {
                "start" => {
                    start = Some(integral::<A::Error>(
                        required(
                            map.next_value_seed(NumField("start", units::text_to_bytes))?,
                            "start",
                        )?,
                        "start",
                    )?)
                }
                "end" => {
                    end = Some(integral::<A::Error>(
                        required(
                            map.next_value_seed(NumField("end", units::text_to_bytes))?,
                            "end",
                        )?,
                        "end",
                    )?)
                }
                "nr_accesses" => r.nr_accesses = Some(map.next_value_seed(NrAccessesSeed)?),
                "age" => age = Some(map.next_value_seed(AgeSeed)?),
                "probe_hits" => {
                    let v: Option<Vec<i64>> = map.next_value()?;
                    r.probe_hits = v
                        .unwrap_or_default()
                        .into_iter()
                        .map(|h| I(i128::from(h)))
                        .collect();
                }
                "sz_filter_passed" => {
                    r.sz_filter_passed = map
                        .next_value_seed(NumField("sz_filter_passed", units::text_to_bytes))?
                        .map(|v| integral::<A::Error>(v, "sz_filter_passed"))
                        .transpose()?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        r.start = start.ok_or_else(|| de_err("a region has no 'start'".into()))?;
        r.end = end.ok_or_else(|| de_err("a region has no 'end'".into()))?;
        if r.nr_accesses.is_some() {
            r.age = age.ok_or_else(|| de_err("a region has 'nr_accesses' but no 'age'".into()))?;
            if r.sz_filter_passed.is_none() {
                r.sz_filter_passed = Some(0);
            }
        }
        Ok(r)
    }
}

#[derive(Clone, Copy)]
struct RegionSeed;
impl<'de> DeserializeSeed<'de> for RegionSeed {
    type Value = Region;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Region, D::Error> {
        d.deserialize_map(RegionV)
    }
}

/// Collects a JSON list, deserializing each element with seed `S`.
#[derive(Clone, Copy)]
struct VecOf<S>(S, &'static str);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for VecOf<S> {
    type Value = Vec<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for VecOf<S> {
    type Value = Vec<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.1)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some(x) = seq.next_element_seed(self.0)? {
            v.push(x);
        }
        Ok(v)
    }
}

/// A snapshot: an object, or (from the damo-layout pipeline) the
/// placeholder `0` for the next blob in `Blobs`.
#[derive(Clone, Copy)]
struct SnapshotSeed<'b>(Option<&'b Blobs>);
impl<'de> DeserializeSeed<'de> for SnapshotSeed<'_> {
    type Value = Snapshot;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Snapshot, D::Error> {
        d.deserialize_any(SnapshotV(self.0))
    }
}

fn snapshot_from_blob(blob: &[u8]) -> Result<Snapshot, serde_json::Error> {
    if let Some(s) = super::fastjson::snapshot(blob) {
        return Ok(s);
    }
    let mut de = serde_json::Deserializer::from_slice(blob);
    let s = SnapshotSeed(None).deserialize(&mut de)?;
    de.end()?;
    Ok(s)
}

struct SnapshotV<'b>(Option<&'b Blobs>);
impl<'de> Visitor<'de> for SnapshotV<'_> {
    type Value = Snapshot;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snapshot object")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Snapshot, E> {
        let blobs = match (self.0, v) {
            (Some(b), 0) => b,
            _ => return Err(E::custom("a snapshot should be an object, not a number")),
        };
        let blob = blobs
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| E::custom("internal error: snapshot text missing"))?;
        snapshot_from_blob(&blob).map_err(E::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Snapshot, A::Error> {
        let (mut start, mut end, mut regions, mut total) = (None, None, None, None);
        let (mut stats, mut sample_us) = (None, None);
        while let Some(k) = map.next_key::<Key>()? {
            match k.as_str() {
                // null: a start that is not known (a trace's lone
                // snapshot, written back as it was read)
                "start_time" => {
                    start = Some(map.next_value_seed(NumField("start_time", units::text_to_ns))?)
                }
                "end_time" => {
                    end = Some(required(
                        map.next_value_seed(NumField("end_time", units::text_to_ns))?,
                        "end_time",
                    )?)
                }
                "regions" => regions = Some(map.next_value_seed(VecOf(RegionSeed, "regions"))?),
                "total_bytes" => {
                    total = map.next_value_seed(NumField("total_bytes", units::text_to_bytes))?
                }
                "damos_stats" => stats = map.next_value::<Option<serde_json::Value>>()?,
                "sample_interval_us" => {
                    sample_us =
                        map.next_value_seed(NumField("sample_interval_us", units::text_to_us))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let start = start.ok_or_else(|| de_err("a snapshot has no 'start_time'".into()))?;
        let end = end.ok_or_else(|| de_err("a snapshot has no 'end_time'".into()))?;
        let regions = regions.ok_or_else(|| de_err("a snapshot has no 'regions'".into()))?;
        let mut s = Snapshot::new(start, end, regions);
        if let Some(t) = total {
            s.total_bytes = t;
        }
        s.damos_stats = stats;
        s.sample_interval_us = sample_us;
        Ok(s)
    }
}

/// Where sink errors wait while serde unwinds with a placeholder error.
struct Ctx<'a> {
    sink: &'a mut dyn Sink,
    err: Option<anyhow::Error>,
    blobs: Option<Blobs>,
}

impl Ctx<'_> {
    fn call<E: de::Error>(&mut self, r: Result<()>) -> Result<(), E> {
        r.map_err(|e| {
            self.err = Some(e);
            E::custom("stopped by the report")
        })
    }
}

/// Streams a record's snapshots into the sink.
struct SnapshotsToSink<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    meta: &'c RecordMeta,
}

impl<'de> DeserializeSeed<'de> for SnapshotsToSink<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SnapshotsToSink<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of snapshots")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let blobs = self.ctx.blobs.clone();
        while let Some(s) = seq.next_element_seed(SnapshotSeed(blobs.as_ref()))? {
            let r = self.ctx.sink.snapshot(self.meta, s);
            self.ctx.call(r)?;
        }
        Ok(())
    }
}

pub(crate) fn parse_intervals(v: &serde_json::Value) -> Result<Intervals, String> {
    let field = |obj: &serde_json::Value, k: &'static str, p: Parser| -> Result<Num, String> {
        let x = obj
            .get(k)
            .ok_or_else(|| format!("intervals have no '{k}'"))?;
        NumField(k, p)
            .deserialize(x)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("field '{k}' must not be null"))
    };
    let mut iv = Intervals {
        sample: field(v, "sample_us", units::text_to_us)?,
        aggr: field(v, "aggr_us", units::text_to_us)?,
        ops_update: field(v, "ops_update_us", units::text_to_us)?,
        goal: IntervalsGoal::default(),
    };
    if let Some(g) = v.get("intervals_goal") {
        iv.goal = IntervalsGoal {
            access_bp: field(g, "access_bp", units::text_to_bp)?,
            aggrs: field(g, "aggrs", units::text_to_nr)?,
            min_sample_us: field(g, "min_sample_us", units::text_to_us)?,
            max_sample_us: field(g, "max_sample_us", units::text_to_us)?,
        };
    }
    Ok(iv)
}

struct RecordSeed<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut meta = RecordMeta::default();
        let mut have_target = false;
        let mut streamed = false;
        let mut buffered: Option<Vec<Snapshot>> = None;
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(k) = map.next_key::<Key>()? {
            if !k.as_str().is_empty() {
                if seen.contains(&k.as_str()) {
                    // Python's json keeps the last; snapshots are streamed
                    // as they come, so the first cannot be taken back
                    return Err(de_err(format!(
                        "record key '{}' appears twice in one record",
                        k.as_str()
                    )));
                }
                seen.push(k.as_str());
            }
            let is_meta = matches!(
                k.as_str(),
                "kdamond_idx"
                    | "context_idx"
                    | "intervals"
                    | "scheme_idx"
                    | "target_id"
                    | "scheme_filters"
            );
            if is_meta && streamed {
                return Err(de_err(format!(
                    "record key '{}' comes after 'snapshots'; rewrite the file with \
                     'damo convert_record_format' to fix the key order",
                    k.as_str()
                )));
            }
            match k.as_str() {
                // damo turns a missing or null kdamond/context index into 0.
                "kdamond_idx" => {
                    meta.kdamond_idx = Some(map.next_value::<Option<i64>>()?.unwrap_or(0))
                }
                "context_idx" => {
                    meta.context_idx = Some(map.next_value::<Option<i64>>()?.unwrap_or(0))
                }
                "scheme_idx" => meta.scheme_idx = map.next_value::<Option<i64>>()?,
                "target_id" => {
                    meta.target_id =
                        map.next_value_seed(NumField("target_id", units::text_to_nr))?;
                    have_target = true;
                }
                "intervals" => {
                    let v: serde_json::Value = map.next_value()?;
                    meta.intervals = if v.is_null() {
                        None
                    } else {
                        Some(parse_intervals(&v).map_err(de_err)?)
                    };
                }
                "scheme_filters" => {
                    let v: Option<Vec<serde_json::Value>> = map.next_value()?;
                    meta.scheme_filters = v.unwrap_or_default();
                }
                "data_source" => {
                    let v: Option<String> = map.next_value()?;
                    meta.data_source = v.unwrap_or_else(|| "unknown".to_string());
                }
                "snapshots" => {
                    if have_target {
                        let r = self.ctx.sink.record_start(&meta);
                        self.ctx.call(r)?;
                        map.next_value_seed(SnapshotsToSink {
                            ctx: &mut *self.ctx,
                            meta: &meta,
                        })?;
                        streamed = true;
                    } else {
                        let blobs = self.ctx.blobs.clone();
                        let v: Vec<Snapshot> =
                            map.next_value_seed(VecOf(SnapshotSeed(blobs.as_ref()), "snapshots"))?;
                        buffered = Some(v);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !have_target {
            return Err(de_err("a record has no 'target_id'".into()));
        }
        if let Some(snaps) = buffered {
            let r = self.ctx.sink.record_start(&meta);
            self.ctx.call(r)?;
            for s in snaps {
                let r = self.ctx.sink.snapshot(&meta, s);
                self.ctx.call(r)?;
            }
        } else if !streamed {
            return Err(de_err("a record has no 'snapshots'".into()));
        }
        let r = self.ctx.sink.record_end(&meta);
        self.ctx.call(r)
    }
}

struct TopSeed<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RecordSeed {
                ctx: &mut *self.ctx,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// Reads the JSON record list from `reader` into `sink`.
pub fn read<R: Read>(reader: R, sink: &mut dyn Sink) -> Result<()> {
    read_with(serde_json::Deserializer::from_reader(reader), None, sink)
}

/// Reads the skeleton of the damo-layout pipeline (`pipe::Stripped`),
/// whose snapshot placeholders stand for the blobs in `blobs`.
pub fn read_skeleton<R: Read>(reader: R, blobs: Blobs, sink: &mut dyn Sink) -> Result<()> {
    read_with(
        serde_json::Deserializer::from_reader(reader),
        Some(blobs),
        sink,
    )
}

/// Reads a JSON record list held in memory.
pub fn read_slice(bytes: &[u8], sink: &mut dyn Sink) -> Result<()> {
    read_with(serde_json::Deserializer::from_slice(bytes), None, sink)
}

fn read_with<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    blobs: Option<Blobs>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut ctx = Ctx {
        sink,
        err: None,
        blobs,
    };
    let res = TopSeed { ctx: &mut ctx }.deserialize(&mut de);
    if let Some(e) = ctx.err.take() {
        return Err(e);
    }
    res.map_err(|e| anyhow!("{e}"))?;
    de.end().context("unexpected data after the record list")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Collect;

    #[test]
    fn reads_human_and_raw_numbers() {
        let text = r#"[{"kdamond_idx": null, "target_id": 42, "intervals": {"sample_us": "5 ms",
            "aggr_us": "100000", "ops_update_us": 1000000},
            "snapshots": [{"start_time": "100", "end_time": 200, "regions": [
              {"start": "4,096", "end": "8192", "nr_accesses": {"samples": 3, "percent": null},
               "age": {"usec": null, "aggr_intervals": "1,234"}, "sz_filter_passed": "2.000 KiB"}]}]}]"#;
        let mut c = Collect::default();
        read(text.as_bytes(), &mut c).unwrap();
        let r = &c.0[0];
        assert_eq!(r.meta.kdamond_idx, Some(0));
        assert_eq!(r.meta.target_id.map(|t| t.repr()), Some("42".to_string()));
        let iv = r.meta.intervals.as_ref().unwrap();
        assert_eq!(iv.sample.repr(), "5000.0");
        assert_eq!(iv.aggr.repr(), "100000");
        let s = &r.snapshots[0];
        assert_eq!(s.total_bytes.repr(), "4096");
        let reg = &s.regions[0];
        assert_eq!((reg.start, reg.end), (4096, 8192));
        assert_eq!(
            reg.age.aggr_intervals.map(|a| a.repr()),
            Some("1234".to_string())
        );
        assert_eq!(reg.sz_filter_passed, Some(2048));
    }

    #[test]
    fn rejects_bad_input() {
        let mut c = Collect::default();
        assert!(read(&b"[{\"target_id\": 1}]"[..], &mut c).is_err());
        assert!(
            read(
                &b"[{\"target_id\": 1, \"snapshots\": [{\"end_time\": 1}]}]"[..],
                &mut c
            )
            .is_err()
        );
        assert!(read(&b"[{\"target_id\": 1, \"snapshots\": [{\"start_time\": true, \"end_time\": 1, \"regions\": []}]}]"[..], &mut c).is_err());
        assert!(read(&b"[{\"target_id\": 1, \"snapshots\": []"[..], &mut c).is_err());
        assert!(read(&b"{}"[..], &mut c).is_err());
    }
}
