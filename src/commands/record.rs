//! `damo record`: monitoring results of a live kernel into a damon.data
//! record, read from DAMON's tracepoints through tracefs (no perf, no
//! trace-cmd), plus damo's sidecar files.
//!
//! The flow is damo 3.4.3's: back up an existing output, turn DAMON on
//! with the given options (or record the kdamonds already running:
//! `ongoing`), trace until `--timeout`, the targets' exit, the kdamonds'
//! end or SIGINT/SIGTERM, then turn DAMON off, stage the previous setup
//! back and write the record.  Trace text is spooled to a file while
//! recording; the record appears under its name only when complete.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};

use super::children::{Follower, reaped};
use crate::cli::conv::SnapshotPlan;
use crate::cli::opts::{DamonTracer, DoRecord as Do, Record};
use crate::damon::js::Js;
use crate::damon::model::Kdamond;
use crate::fmt::pynum::{F, I};
use crate::outfile::AtomicFile;
use crate::output::Exit;
use crate::record::Format;
use crate::record::tracefs::{self, Tracer};
use crate::record::write::{FileWriter, JsonListFile};
use crate::sysfs::Sysfs;

/// How often the trace pipe is read.
const DRAIN: Duration = Duration::from_millis(100);
/// How often the targets are checked and footprints sampled (damo's loop).
const TICK: Duration = Duration::from_secs(1);

/// What `--do_record` asks for.
#[derive(Clone)]
struct DoRecord {
    access: bool,
    mem_footprint: bool,
    vmas: bool,
    proc_stats: bool,
    trace_events: bool,
}

/// The per-second sidecar files (`.mem_footprint`, `.vmas`,
/// `.proc_stats`), written as they are sampled.
struct Sidecars {
    footprint: Option<JsonListFile>,
    vmas: Option<JsonListFile>,
    proc_stats: Option<JsonListFile>,
}

impl Sidecars {
    fn create(out: &Path, todo: &DoRecord) -> Result<Sidecars> {
        let open = |on: bool, ext: &str| -> Result<Option<JsonListFile>> {
            if !on {
                return Ok(None);
            }
            JsonListFile::create(Path::new(&format!("{}.{ext}", out.display()))).map(Some)
        };
        Ok(Sidecars {
            footprint: open(todo.mem_footprint, "mem_footprint")?,
            vmas: open(todo.vmas, "vmas")?,
            proc_stats: open(todo.proc_stats, "proc_stats")?,
        })
    }

    /// One sample of each, as damo takes them every loop.
    fn sample(&mut self, kdamonds: &[Kdamond]) -> Result<()> {
        let pids: Vec<i128> = kdamonds
            .iter()
            .flat_map(|k| &k.contexts)
            .flat_map(|c| &c.targets)
            .filter_map(|t| t.pid)
            .collect();
        if let Some(f) = self.footprint.as_mut() {
            f.push(&footprint_snapshot(&target_pids(kdamonds)))?;
        }
        if let Some(f) = self.vmas.as_mut() {
            let procs = pids
                .iter()
                .map(|p| {
                    let vmas = crate::proc::maps(*p)
                        .into_iter()
                        .map(|(a, b, name)| {
                            Js::Obj(vec![
                                ("start".into(), Js::Num(I(a as i128))),
                                ("end".into(), Js::Num(I(b as i128))),
                                ("name".into(), Js::Str(name)),
                            ])
                        })
                        .collect();
                    Js::Obj(vec![
                        ("pid".into(), Js::Num(I(*p))),
                        ("vmas".into(), Js::List(vmas)),
                    ])
                })
                .collect();
            f.push(&Js::Obj(vec![
                ("time".into(), Js::Num(F(now_secs()))),
                ("procvmas".into(), Js::List(procs)),
            ]))?;
        }
        if let Some(f) = self.proc_stats.as_mut() {
            // each kdamond's pid, then its targets' (damo's order)
            let mut stats = Vec::new();
            for k in kdamonds {
                let mut ids: Vec<Option<String>> = vec![k.pid.clone()];
                ids.extend(
                    k.contexts
                        .iter()
                        .flat_map(|c| &c.targets)
                        .filter_map(|t| t.pid)
                        .map(|p| Some(p.to_string())),
                );
                for id in ids {
                    let fields = id
                        .as_deref()
                        .and_then(crate::proc::stat_words)
                        .map_or(Js::Null, |w| Js::List(w.into_iter().map(Js::Str).collect()));
                    stats.push(Js::Obj(vec![("fields".into(), fields)]));
                }
            }
            f.push(&Js::Obj(vec![
                ("time".into(), Js::Num(F(now_secs()))),
                ("proc_stats".into(), Js::List(stats)),
            ]))?;
        }
        Ok(())
    }

    /// Completes the files as `<out>.<kind>`.
    fn finish(self, out: &Path, mode: u32) -> Result<()> {
        for (f, ext) in [
            (self.footprint, "mem_footprint"),
            (self.vmas, "vmas"),
            (self.proc_stats, "proc_stats"),
        ] {
            if let Some(f) = f {
                f.finish_as(Path::new(&format!("{}.{ext}", out.display())), Some(mode))?;
            }
        }
        Ok(())
    }
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One `.mem_footprint` entry: each target process's statm, then the
/// system's meminfo.
fn footprint_snapshot(pids: &[i128]) -> Js {
    let n = |v: u64| Js::Num(I(v as i128));
    let mut fps = Vec::new();
    for pid in pids {
        let m = crate::proc::statm(*pid);
        let keys = ["size", "resident", "shared", "trs", "lrs", "drs", "dt"];
        fps.push(Js::Obj(vec![
            ("pid".into(), Js::Num(I(*pid))),
            (
                "footprint".into(),
                Js::Obj(
                    keys.iter()
                        .zip(m)
                        .map(|(k, v)| (k.to_string(), n(v)))
                        .collect(),
                ),
            ),
        ]));
    }
    let sys = crate::proc::meminfo();
    let keys = ["total", "free", "available", "buffers", "cached"];
    fps.push(Js::Obj(vec![
        ("pid".into(), Js::Null),
        (
            "footprint".into(),
            Js::Obj(
                keys.iter()
                    .zip(sys)
                    .map(|(k, v)| (k.to_string(), v.map_or(Js::Null, n)))
                    .collect(),
            ),
        ),
    ]));
    Js::Obj(vec![
        ("time".into(), Js::Num(F(now_secs()))),
        ("footprints".into(), Js::List(fps)),
    ])
}

/// The target pids of the kdamonds, first occurrence kept.
fn target_pids(kdamonds: &[Kdamond]) -> Vec<i128> {
    let mut pids = Vec::new();
    for p in kdamonds
        .iter()
        .flat_map(|k| &k.contexts)
        .flat_map(|c| &c.targets)
        .filter_map(|t| t.pid)
    {
        if !pids.contains(&p) {
            pids.push(p);
        }
    }
    pids
}

fn write_json(path: &Path, js: &Js, mode: u32) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    js.write(&mut f, 0)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.commit(Some(mode))
}

/// `<out>` -> `<out>.old`, as damo does before recording.
fn back_up(path: &Path) -> Result<()> {
    if path.is_file() {
        let old = PathBuf::from(format!("{}.old", path.display()));
        std::fs::rename(path, &old)
            .with_context(|| format!("cannot move {} to {}", path.display(), old.display()))?;
    }
    Ok(())
}

/// Converts the spooled trace text into the record file, a snapshot at a
/// time.  Returns whether it holds any snapshot.
fn write_record(
    spool: &Path,
    out: &Path,
    format: Format,
    mode: u32,
    kd: &[Kdamond],
) -> Result<bool> {
    let started = std::time::Instant::now();
    let text = std::fs::File::open(spool)
        .with_context(|| format!("cannot read the trace spool {}", spool.display()))?;
    let size = text.metadata().map(|m| m.len()).unwrap_or(0);
    let meter = crate::progress::Meter::writing(out, size);
    let text = meter.reader(text);
    let intervals = kd
        .first()
        .and_then(|k| k.contexts.first())
        .map(|c| c.intervals.clone());
    let mut w = FileWriter::create(out, format)?;
    let r = crate::record::perf_script::read_with(std::io::BufReader::new(text), &mut w, |m| {
        m.kdamond_idx = Some(0);
        m.context_idx = Some(0);
        m.intervals = intervals.clone();
    });
    let any = match r {
        Ok(()) => true,
        // no events: an empty record, as damo writes
        Err(e) if e.is::<crate::record::perf_script::NoEvents>() => false,
        Err(e) => return Err(e.context("cannot convert the traced DAMON events")),
    };
    meter.finish();
    w.commit(Some(mode))?;
    crate::progress::wrote(started, out);
    Ok(any)
}

/// What the options ask for, checked before anything is touched.
#[derive(Clone)]
struct Options {
    out: PathBuf,
    format: Format,
    mode: u32,
    todo: DoRecord,
    cpu_profile: bool,
    /// damon events to trace: the first is required
    events: Vec<&'static str>,
    snapshot: Option<SnapshotPlan>,
    /// `--output_flush_sec`: outputs so far go to `<out>.<time>/` this often
    flush: Option<Duration>,
    /// perf's path, and whether it traces (`--damon_tracer perf`)
    perf: String,
    use_perf: bool,
}

fn options(args: &Record) -> Result<Options> {
    let snapshot = args.snapshot;
    let perf = args.perf_path.clone().unwrap_or_else(|| "perf".to_string());
    // perf only when asked for (damo's default tracer); tracefs otherwise
    let use_perf = match args.damon_tracer {
        Some(DamonTracer::Perf) => true,
        Some(DamonTracer::TraceCmd) => bail!(
            "--damon_tracer trace-cmd: this damo reads DAMON's tracepoints from tracefs itself; \
             drop the option (or use --damon_tracer perf)"
        ),
        None => false,
    };
    if use_perf && !tracefs::available(&perf) {
        bail!(
            "--damon_tracer perf: {perf} is unavailable; install linux-perf, or drop the option (DAMON's tracepoints are read from tracefs without perf)"
        );
    }
    let format = super::tools::output_format(&args.output_type)?;
    if format == Format::PerfData && !use_perf {
        bail!(
            "--output_type perf_data needs perf, which this damo does not use; \
             record json_compressed (the default), json or perf_script, or add \
             --damon_tracer perf"
        );
    }
    let words = &args.do_record;
    Ok(Options {
        out: PathBuf::from(&args.out),
        format,
        mode: args.output_permission,
        todo: DoRecord {
            access: words.contains(&Do::Access),
            mem_footprint: words.contains(&Do::MemFootprint),
            vmas: words.contains(&Do::Vmas),
            proc_stats: words.contains(&Do::ProcStats),
            trace_events: words.contains(&Do::DamonTraceEvents),
        },
        cpu_profile: words.contains(&Do::CpuProfile),
        events: if args.schemes_target_regions {
            vec![tracefs::BEFORE_APPLY]
        } else {
            vec![tracefs::AGGREGATED, tracefs::INTERVALS_TUNE]
        },
        snapshot,
        flush: Some(args.output_flush_sec),
        perf,
        use_perf,
    })
}

/// tracefs, when tracing, with the required tracepoint.
fn trace_root(o: &Options) -> Result<Option<PathBuf>> {
    if o.snapshot.is_some() || !(o.todo.access || o.todo.trace_events) {
        return Ok(None);
    }
    let root = crate::env::get().tracefs_root().context(
        "tracefs is not mounted: mount it ('mount -t tracefs nodev /sys/kernel/tracing') \
         and retry",
    )?;
    if !root.join("events/damon").join(o.events[0]).is_dir() {
        bail!(
            "the kernel has no damon:{} tracepoint: it needs CONFIG_DAMON with \
             tracing (CONFIG_FTRACE)",
            o.events[0]
        );
    }
    Ok(Some(root))
}

/// Where the traced events come from.
enum Tracing {
    /// our tracefs instance, drained into the spool while recording
    Fs(Tracer),
    /// `perf record`, converted with `perf script` at the end
    Perf(tracefs::PerfTracer),
}

impl Tracing {
    fn start(o: &Options, root: &Path, spool: &Path) -> Result<Tracing> {
        if o.use_perf {
            // perf refuses unknown events: only those this kernel has
            let events: Vec<&str> = o
                .events
                .iter()
                .copied()
                .filter(|e| root.join("events/damon").join(e).is_dir())
                .collect();
            let data = PathBuf::from(format!("{}.perf", spool.display()));
            return tracefs::PerfTracer::start(&o.perf, &events, &data).map(Tracing::Perf);
        }
        Tracer::start(root, &o.events, spool).map(Tracing::Fs)
    }

    fn drain(&mut self) -> Result<()> {
        match self {
            Tracing::Fs(t) => t.drain(),
            Tracing::Perf(_) => Ok(()),
        }
    }
}

/// `perf record`, where perf is (damo records a CPU profile by default),
/// into the capture directory: the profile becomes `<out>.profile` only
/// once perf has finished it.
struct Profiler {
    perf: tracefs::StopOnDrop,
    tmp: PathBuf,
}

fn start_profiler(o: &Options, capture: &Capture) -> Option<Profiler> {
    if !o.cpu_profile {
        return None;
    }
    if !tracefs::available(&o.perf) {
        eprintln!(
            "damo: warning: no perf found, so the CPU profile ({}) is not recorded \
             (install perf, or leave cpu_profile out of --do_record)",
            profile_path(o).display()
        );
        return None;
    }
    let tmp = capture.dir.path().join("profile");
    std::process::Command::new(&o.perf)
        .args(["record", "-o"])
        .arg(&tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()
        .map(|child| Profiler {
            perf: tracefs::StopOnDrop(child),
            tmp,
        })
}

impl Profiler {
    /// Stops perf and moves its profile to `<out>.profile`; a profile perf
    /// could not finish (a full disk, say) is left out, with a warning.
    fn finish(mut self, o: &Options) -> Result<()> {
        use std::os::unix::process::ExitStatusExt;
        tracefs::stop_child(&mut self.perf.0);
        // perf finishes its file on SIGINT, then dies of the signal
        let ok = matches!(self.perf.0.try_wait(),
            Ok(Some(st)) if st.success() || st.signal() == Some(nix::libc::SIGINT));
        let path = profile_path(o);
        if !ok || !self.tmp.is_file() {
            crate::output::warn(&format!(
                "perf could not finish the CPU profile: {} is not written",
                path.display()
            ));
            return Ok(());
        }
        set_mode(&self.tmp, o.mode)?;
        std::fs::rename(&self.tmp, &path)
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

fn profile_path(o: &Options) -> PathBuf {
    PathBuf::from(format!("{}.profile", o.out.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

/// `damo record`: checks, DAMON on (or the running kdamonds taken), the
/// trace and the sidecars captured until the end, DAMON restored, the
/// outputs written.
pub fn main(args: &Record) -> Result<()> {
    let fs = super::open_sysfs("record", args.debug_damon, args.damon_interface_deprecated)?;
    let o = options(args)?;
    // everything that can be checked is checked before DAMON is touched
    let trace_root = trace_root(&o)?;
    let ongoing = check_ongoing(&fs, args)?;
    if fs.is_dbgfs() && o.snapshot.is_some() {
        bail!(
            "--snapshot needs DAMOS tried regions, which the DAMON debugfs interface lacks: \
             record the trace (without --snapshot), or use a kernel with DAMON sysfs"
        );
    }
    back_up(&o.out)?;
    if o.todo.mem_footprint {
        back_up(&PathBuf::from(format!("{}.mem_footprint", o.out.display())))?;
    }
    let orig = fs.current_kdamonds()?;
    crate::interrupt::catch()?;

    let (mut kdamonds, self_started) = if ongoing {
        (orig.clone(), false)
    } else {
        match super::control::turn_on(&fs, &args.damon, "record") {
            Ok(k) => k,
            Err(e) => {
                eprintln!("damo: could not turn DAMON on ({e:#})");
                return Err(Exit(254).into());
            }
        }
    };
    let started: Vec<usize> = if ongoing {
        Vec::new()
    } else {
        (0..kdamonds.len()).collect()
    };
    if let (Some(k), Ok(now)) = (kdamonds.first_mut(), fs.current_kdamonds()) {
        k.pid = now.first().and_then(|n| n.pid.clone());
    }
    let session = Session {
        fs: &fs,
        orig: &orig,
        started: &started,
        self_started,
    };
    let (capture, tracing) = match Capture::start(&o, trace_root) {
        Ok(c) => c,
        Err(e) => {
            session.restore();
            return Err(e);
        }
    };
    let profiler = start_profiler(&o, &capture);
    // damo stays quiet for a few immediate snapshots
    if !o
        .snapshot
        .as_ref()
        .is_some_and(|p| p.delay == Duration::ZERO && p.count < 5)
    {
        crate::output::print("Press Ctrl+C to stop\n")?;
    }
    let mut snap = match (o.snapshot, o.todo.access) {
        (Some(plan), true) => Some(Snapshots {
            plan,
            monitor: crate::live::monitor_scheme(
                &fs,
                &crate::record::filter::RecordFilter::from_opts(&args.access_filter, None)?,
                crate::damon::args::snapshot_damos_filters(&args.snapshot_damos_filter)?,
            ),
            // `record` has no --dont_merge_regions
            merge: true,
            records: Vec::new(),
        }),
        _ => None,
    };
    let result = capture_until_end(
        args,
        &o,
        &session,
        &mut kdamonds,
        (&capture, tracing),
        snap.as_mut(),
    );
    session.restore();
    let (tracing, signal, sidecars, flushed) = result?;
    let last = if flushed {
        flushed_options(&o)?
    } else {
        o.clone()
    };
    let records = snap.map(|s| s.records);
    let written = write_outputs(&last, &kdamonds, sidecars, tracing, records, &capture.spool)
        .and_then(|()| profiler.map_or(Ok(()), |p| p.finish(&o)));
    drop(capture);
    written?;
    match signal {
        Some(sig) => {
            crate::output::print(&format!("\nsignal {sig} received\n"))?;
            Err(Exit(u8::try_from(sig).unwrap_or(1)).into())
        }
        None => Ok(()),
    }
}

/// Whether `record` takes the running kdamonds (`ongoing`, or no target
/// while DAMON runs); an error when there is nothing to take.
fn check_ongoing(fs: &Sysfs, args: &Record) -> Result<bool> {
    let ongoing = match args.damon.deducible_target.as_deref() {
        Some("ongoing") => true,
        Some(_) => false,
        None => !fs.running_idxs()?.is_empty(),
    };
    if ongoing && fs.running_idxs()?.is_empty() {
        bail!("DAMON is not turned on: nothing to record as 'ongoing'");
    }
    Ok(ongoing)
}

/// Where the trace is captured: a spool file (and perf's data) in a
/// private directory beside the record, where nothing can be planted by
/// another user.
struct Capture {
    /// the private directory, removed when dropped
    dir: crate::outfile::TempDir,
    spool: PathBuf,
    trace_root: Option<PathBuf>,
}

impl Capture {
    /// The directory and the first tracing session into it (errors say
    /// that DAMON is restored: the caller restores it).
    fn start(o: &Options, trace_root: Option<PathBuf>) -> Result<(Capture, Option<Tracing>)> {
        let dir = crate::outfile::TempDir::new_in(
            o.out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            ".damo-record-",
        )
        .context("DAMON was restored")?;
        let spool = dir.path().join("trace");
        let capture = Capture {
            dir,
            spool,
            trace_root,
        };
        let first = capture
            .tracing(o)
            .context("could not start tracing; DAMON was restored")?;
        Ok((capture, first))
    }

    /// A new tracing session into the spool (none without tracefs work).
    fn tracing(&self, o: &Options) -> Result<Option<Tracing>> {
        match &self.trace_root {
            Some(root) => Tracing::start(o, root, &self.spool).map(Some),
            None => Ok(None),
        }
    }
}

/// Records until the end (timeout, targets gone, a signal), saving the
/// outputs so far at every `--output_flush_sec`.  Returns the last
/// tracing session, the signal that ended it, the last sidecars, and
/// whether outputs were flushed (then the last go to a stamped
/// directory too).
fn capture_until_end(
    args: &Record,
    o: &Options,
    session: &Session,
    kdamonds: &mut [Kdamond],
    (capture, mut tracing): (&Capture, Option<Tracing>),
    mut snap: Option<&mut Snapshots>,
) -> Result<(Option<Tracing>, Option<i32>, Sidecars, bool)> {
    let begin = Instant::now();
    let mut flushed = false;
    loop {
        let mut sidecars = Sidecars::create(&o.out, &o.todo)?;
        let (t, end) = record_loop(
            args,
            session,
            kdamonds,
            tracing.take(),
            &mut sidecars,
            snap.as_deref_mut(),
            (begin, o.flush),
        )?;
        match end {
            End::Flush => {
                let records = snap.as_mut().map(|s| std::mem::take(&mut s.records));
                flushed_options(o).and_then(|at| {
                    write_outputs(&at, kdamonds, sidecars, t, records, &capture.spool)
                })?;
                flushed = true;
                tracing = capture.tracing(o)?;
            }
            End::Done(sig) => return Ok((t, sig, sidecars, flushed)),
        }
    }
}

/// The record and its sidecars, once recording is over.
fn write_outputs(
    o: &Options,
    kdamonds: &[Kdamond],
    sidecars: Sidecars,
    tracing: Option<Tracing>,
    snapshot_records: Option<Vec<crate::record::Record>>,
    spool: &Path,
) -> Result<()> {
    let kd_js = Js::List(
        kdamonds
            .iter()
            .map(|k| k.to_js_full(false, false, false))
            .collect(),
    );
    write_json(
        Path::new(&format!("{}.kdamonds", o.out.display())),
        &kd_js,
        o.mode,
    )?;
    sidecars.finish(&o.out, o.mode)?;
    match tracing {
        Some(Tracing::Perf(p)) => {
            let data = p.finish(spool)?;
            if o.format == Format::PerfData {
                std::fs::rename(&data, &o.out)
                    .with_context(|| format!("cannot write {}", o.out.display()))?;
                return set_mode(&o.out, o.mode);
            }
            let _ = std::fs::remove_file(&data);
            write_record(spool, &o.out, o.format, o.mode, kdamonds)?;
        }
        Some(Tracing::Fs(t)) => {
            t.finish()?;
            if o.todo.trace_events {
                let copy = PathBuf::from(format!("{}.trace", o.out.display()));
                let mut f = crate::outfile::AtomicFile::create(&copy)?;
                std::io::copy(
                    &mut std::fs::File::open(spool).context("cannot read the trace spool")?,
                    &mut f,
                )
                .with_context(|| format!("cannot write {}", copy.display()))?;
                f.commit(Some(o.mode))?;
            }
            if !write_record(spool, &o.out, o.format, o.mode, kdamonds)? {
                eprintln!(
                    "damo: no monitoring results were traced (the kdamond did not finish an \
                     aggregation interval): {} holds no snapshots",
                    o.out.display()
                );
            }
        }
        None => {}
    }
    if let Some(records) = snapshot_records {
        FileWriter::write_records(&o.out, o.format, records, Some(o.mode))?;
    }
    Ok(())
}

/// What to undo when recording ends.
struct Session<'a> {
    fs: &'a Sysfs,
    orig: &'a [Kdamond],
    /// kdamonds this command turned on
    started: &'a [usize],
    /// whether it started the (first) target, a command
    self_started: bool,
}

impl Session<'_> {
    /// Turns off the kdamonds it started and stages the previous setup.
    fn restore(&self) {
        if self.started.is_empty() {
            return;
        }
        let _lock = match self.fs.lock_setup("damo record (restoring)") {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("damo: {e:#}; restoring anyway");
                None
            }
        };
        let running: Vec<usize> = self
            .fs
            .running_idxs()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| self.started.contains(i))
            .collect();
        let _ = self.fs.turn_off(&running);
        if let Err(e) = self.fs.stage(self.orig) {
            eprintln!("damo: failed restoring previous kdamonds setup ({e:#})");
        }
    }
}

/// Why the recording loop returned.
enum End {
    /// the recording is over (with the signal that ended it, if any)
    Done(Option<i32>),
    /// `--output_flush_sec` passed: save the outputs so far and go on
    Flush,
}

type LoopResult = (Option<Tracing>, End);

/// The options with the outputs in `<out>.<local time>/` (damo's
/// `--output_flush_sec` directories).
fn flushed_options(o: &Options) -> Result<Options> {
    let dir = PathBuf::from(format!("{}.{}", o.out.display(), local_stamp()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = o
        .out
        .file_name()
        .map_or("damon.data".into(), |n| n.to_os_string());
    Ok(Options {
        out: dir.join(name),
        ..o.clone()
    })
}

/// Local time as `%Y-%m-%d-%H-%M-%S`.
fn local_stamp() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let now = nix::libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: an all-zero `tm` is a valid value; localtime_r only writes
    // the `tm` it is given, and both pointers are valid for the call.
    let mut tm: nix::libc::tm = unsafe { std::mem::zeroed() };
    unsafe { nix::libc::localtime_r(&now, &mut tm) };
    format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// Snapshot recording: DAMOS tried regions every `delay`, `count` times.
struct Snapshots {
    plan: SnapshotPlan,
    monitor: crate::damon::model::Scheme,
    merge: bool,
    records: Vec<crate::record::Record>,
}

/// damo's `text_to_sec`: a plain number is seconds; units are allowed.
/// Traces until the timeout, the end of the targets or kdamonds, or a
/// signal, sampling the sidecars; returns the tracer and the signal.
fn record_loop(
    args: &Record,
    s: &Session,
    kdamonds: &mut [Kdamond],
    mut tracer: Option<Tracing>,
    sidecars: &mut Sidecars,
    mut snap: Option<&mut Snapshots>,
    (begin, flush): (Instant, Option<Duration>),
) -> Result<LoopResult> {
    let segment = Instant::now();
    let timeout = args
        .timeout
        .map(|t| Duration::try_from_secs_f64(t).map_err(|_| anyhow::anyhow!("wrong --timeout {t}")))
        .transpose()?;
    let follow =
        (args.include_child_tasks && !s.started.is_empty()).then(|| Follower::new(kdamonds));
    let command_pid = super::children::command_pid(kdamonds, s.self_started);
    let mut command_done = false;
    loop {
        // damo's loop body: follow children, sample footprints, check
        if let Some(f) = &follow
            && let Err(e) = f.update(s.fs, kdamonds)
        {
            eprintln!("damo: updating child task targets failed ({e:#}); will retry");
        }
        sidecars.sample(kdamonds)?;
        if timeout.is_some_and(|t| begin.elapsed() >= t) {
            return Ok((tracer, End::Done(None)));
        }
        if flush.is_some_and(|f| segment.elapsed() >= f) {
            return Ok((tracer, End::Flush));
        }
        if let Some(pid) = command_pid
            && !command_done
        {
            command_done = reaped(pid);
        }
        let targets_alive = kdamonds
            .iter()
            .flat_map(|k| &k.contexts)
            .filter(|c| c.ops != "paddr")
            .flat_map(|c| &c.targets)
            .filter_map(|t| t.pid)
            .any(|p| {
                if Some(p) == command_pid {
                    !command_done
                } else {
                    crate::proc::alive(p)
                }
            });
        if let Ok(running) = s.fs.running_idxs()
            && running.is_empty()
        {
            if targets_alive {
                // someone else (`damo stop`) turned DAMON off
                eprintln!(
                    "damo: DAMON was turned off by another command (e.g. 'damo stop'); \
                     the record ends here"
                );
            }
            return Ok((tracer, End::Done(None)));
        }
        if let Some(sn) = snap.as_mut() {
            if let Some(sig) = crate::interrupt::received() {
                return Ok((tracer, End::Done(Some(sig))));
            }
            let records = crate::live::snapshot(s.fs, sn.monitor.clone(), sn.merge, false)?;
            sn.records.extend(records);
            sn.plan.count -= 1;
            if sn.plan.count <= 0 {
                return Ok((tracer, End::Done(None)));
            }
        }
        let tick_end = Instant::now() + snap.as_ref().map_or(TICK, |sn| sn.plan.delay);
        while Instant::now() < tick_end {
            if let Some(t) = tracer.as_mut() {
                t.drain()?;
            }
            if let Some(sig) = crate::interrupt::sleep(DRAIN) {
                return Ok((tracer.take(), End::Done(Some(sig))));
            }
            if timeout.is_some_and(|t| begin.elapsed() >= t) {
                break;
            }
        }
    }
}
