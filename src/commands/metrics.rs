//! `damo report metrics`: a Prometheus exporter.  Reads the DAMON interface
//! (never changing the setup: the only writes are the state commands that
//! refresh statistics, at most once per `--interval`) and renders it with
//! `report::metrics`, once on stdout, into a node_exporter textfile
//! (`--dir`), or over HTTP (`--listen`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::opts::ReportMetrics;
use crate::report::metrics::{self, Format, Scrape};
use crate::sysfs::Sysfs;
use crate::sysfs::modules::Params;

/// The DAMON modules whose parameters are exported.
const MODULES: [&str; 3] = ["reclaim", "lru_sort", "stat"];
/// The largest request head a scraper may send.
const MAX_REQUEST: usize = 8192;
/// How long a connection may take to send its request or read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for its scrape before it gets a 503.
const SCRAPE_WAIT: Duration = Duration::from_secs(90);

/// Reads and renders; keeps the exporter's own counters.
struct Collector {
    fs: Sysfs,
    interval: Duration,
    pid_labels: bool,
    last_refresh: Option<Instant>,
    scrapes: u64,
    errors: u64,
    last_duration: Duration,
}

impl Collector {
    /// Refreshes the statistics the kernel shows (as `report damon` does),
    /// unless that was done less than an interval ago.
    fn refresh(&mut self, kdamonds: &[crate::damon::model::Kdamond]) -> Result<bool> {
        if self
            .last_refresh
            .is_some_and(|t| t.elapsed() < self.interval)
        {
            return Ok(false);
        }
        self.last_refresh = Some(Instant::now());
        self.fs.update_tuned_intervals()?;
        let schemes = kdamonds
            .iter()
            .any(|k| k.contexts.iter().any(|c| !c.schemes.is_empty()));
        let idxs = self.fs.running_idxs()?;
        if schemes && !idxs.is_empty() {
            self.fs.update_schemes_stats(&idxs)?;
            if self.fs.has_effective_quotas() {
                self.fs.update_effective_quotas(&idxs)?;
            }
        }
        Ok(true)
    }

    /// The kdamonds, refreshed when due; a kdamond that stops or starts
    /// in between (the tree changes under the read) gets a second try.
    fn kdamonds(&mut self) -> Option<Vec<crate::damon::model::Kdamond>> {
        let mut last_err = None;
        for _ in 0..2 {
            let read = self.fs.current_kdamonds().and_then(|k| {
                if self.refresh(&k)? {
                    self.fs.current_kdamonds()
                } else {
                    Ok(k)
                }
            });
            match read {
                Ok(k) => return Some(k),
                Err(e) => {
                    self.errors += 1;
                    last_err = Some(e);
                    // the next try refreshes again
                    self.last_refresh = None;
                }
            }
        }
        if let Some(e) = last_err {
            crate::output::warn(&format!("damo report metrics: reading DAMON failed: {e:#}"));
        }
        None
    }

    fn modules(&mut self) -> Vec<(String, BTreeMap<String, String>)> {
        let mut v = Vec::new();
        for name in MODULES {
            let p = Params::of(&self.fs, name);
            if !p.dir.is_dir() {
                continue;
            }
            let mut params = BTreeMap::new();
            match p.names() {
                Ok(names) => {
                    for n in names {
                        match p.get(&n) {
                            Ok(Some(val)) => {
                                params.insert(n, val);
                            }
                            Ok(None) => {}
                            Err(_) => self.errors += 1,
                        }
                    }
                }
                Err(_) => self.errors += 1,
            }
            v.push((name.to_string(), params));
        }
        v
    }

    fn scrape(&mut self, format: Format) -> String {
        let t0 = Instant::now();
        let scrape = Scrape {
            kdamonds: self.kdamonds(),
            modules: self.modules(),
            pid_labels: self.pid_labels,
            scrapes: self.scrapes,
            errors: self.errors,
            last_duration_secs: self.last_duration.as_secs_f64(),
        };
        let text = metrics::render(&scrape, format);
        self.scrapes += 1;
        self.last_duration = t0.elapsed();
        text
    }
}

/// `report metrics`.
pub fn main(o: &ReportMetrics) -> Result<()> {
    if o.dir.is_some() && o.listen.is_some() {
        bail!("give --dir or --listen, not both: run one exporter for each");
    }
    if o.once && o.listen.is_some() {
        bail!("--once prints the metrics once; it does not go with --listen");
    }
    if !(1..=64).contains(&o.max_connections) {
        bail!(
            "--max_connections {} is out of range: give 1 to 64",
            o.max_connections
        );
    }
    let dir = o.dir.as_deref().map(check_dir).transpose()?;
    // bind before touching DAMON, so a port in use fails at once
    let listener = match &o.listen {
        Some(addr) => Some(TcpListener::bind(addr.as_str()).map_err(|e| {
            anyhow::anyhow!("cannot listen on {addr}: {e}; give a free address:port with --listen")
        })?),
        None => None,
    };
    let fs = super::open_sysfs("report metrics", false, o.damon_interface_deprecated)?;
    let mut c = Collector {
        fs,
        interval: o.interval,
        pid_labels: o.pid_labels,
        last_refresh: None,
        scrapes: 0,
        errors: 0,
        last_duration: Duration::ZERO,
    };
    crate::interrupt::catch()?;
    if let Some(listener) = listener {
        return serve(&mut c, listener, o.max_connections);
    }
    match dir {
        None => crate::output::print(&c.scrape(Format::Text)),
        Some(dir) => loop {
            let file = dir.join("damon.prom");
            let text = c.scrape(Format::Text);
            match crate::outfile::write_atomic(&file, text.as_bytes(), Some(0o644)) {
                Ok(()) if o.once => return Ok(()),
                Ok(()) => {}
                Err(e) if o.once => return Err(e),
                // (a full disk may clear: the previous file stays whole)
                Err(e) => {
                    c.errors += 1;
                    crate::output::warn(&format!(
                        "damo report metrics: {e:#}; trying again in {} s",
                        o.interval.as_secs_f64()
                    ));
                }
            }
            if let Some(sig) = crate::interrupt::sleep(o.interval) {
                return Err(crate::interrupt::Interrupted(sig).into());
            }
        },
    }
}

fn check_dir(d: &str) -> Result<PathBuf> {
    let p = Path::new(d);
    if !p.is_dir() {
        bail!(
            "--dir {d}: not a directory; give node_exporter's textfile directory \
             (its --collector.textfile.directory)"
        );
    }
    Ok(p.to_path_buf())
}

/// A scrape request from a connection's thread to the collector.
struct Want {
    format: Format,
    reply: mpsc::SyncSender<String>,
}

/// Serves `/metrics` until a signal: connections on their own threads (at
/// most `max` at once; more get a 503), scrapes one at a time on this one.
fn serve(c: &mut Collector, listener: TcpListener, max: i64) -> Result<()> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    crate::output::warn(&format!(
        "damo report metrics: serving http://{addr}/metrics"
    ));
    let max = usize::try_from(max).unwrap_or(1);
    let (tx, rx) = mpsc::sync_channel::<Want>(max);
    let active = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else {
                // (out of file descriptors, say: do not spin)
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            if active.load(Ordering::SeqCst) >= max {
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let _ = respond(&stream, 503, "text/plain", b"too many connections\n", false);
                continue;
            }
            active.fetch_add(1, Ordering::SeqCst);
            let (tx, active) = (tx.clone(), Arc::clone(&active));
            std::thread::spawn(move || {
                let _ = connection(&stream, &tx);
                active.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    loop {
        if let Some(sig) = crate::interrupt::received() {
            return Err(crate::interrupt::Interrupted(sig).into());
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(w) => {
                let text = c.scrape(w.format);
                let _ = w.reply.try_send(text);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                bail!("the HTTP listener on {addr} failed")
            }
        }
    }
}

/// Reads one request head (bounded in size and time) and answers it.
fn connection(stream: &TcpStream, tx: &mpsc::SyncSender<Want>) -> Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        if len == buf.len() {
            return respond(stream, 431, "text/plain", b"request too large\n", false);
        }
        let n = (&*stream)
            .read(buf.get_mut(len..).unwrap_or_default())
            .context("reading the request")?;
        if n == 0 {
            return Ok(());
        }
        len += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let head = buf.get(..len).unwrap_or_default();
        match req.parse(head) {
            Ok(httparse::Status::Complete(_)) => return answer(stream, &req, tx),
            Ok(httparse::Status::Partial) if Instant::now() < deadline => continue,
            _ => return respond(stream, 400, "text/plain", b"bad request\n", false),
        }
    }
}

fn answer(stream: &TcpStream, req: &httparse::Request, tx: &mpsc::SyncSender<Want>) -> Result<()> {
    let head_only = match req.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => return respond(stream, 405, "text/plain", b"only GET and HEAD\n", false),
    };
    let has_body = req.headers.iter().any(|h| {
        (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
            || h.name.eq_ignore_ascii_case("transfer-encoding")
    });
    if has_body {
        return respond(
            stream,
            413,
            "text/plain",
            b"requests take no body\n",
            head_only,
        );
    }
    let path = req.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    match path {
        "/metrics" => {
            let accept = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("accept"))
                .map(|h| String::from_utf8_lossy(h.value).into_owned())
                .unwrap_or_default();
            let format = Format::negotiate(&accept);
            let (reply, got) = mpsc::sync_channel(1);
            if tx.try_send(Want { format, reply }).is_err() {
                return respond(
                    stream,
                    503,
                    "text/plain",
                    b"busy: scrape again\n",
                    head_only,
                );
            }
            match got.recv_timeout(SCRAPE_WAIT) {
                Ok(text) => respond(
                    stream,
                    200,
                    format.content_type(),
                    text.as_bytes(),
                    head_only,
                ),
                Err(_) => respond(
                    stream,
                    503,
                    "text/plain",
                    b"the scrape timed out\n",
                    head_only,
                ),
            }
        }
        "/" => respond(
            stream,
            200,
            "text/html; charset=utf-8",
            b"<html><head><title>damo exporter</title></head><body>\
              <h1>damo exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n",
            head_only,
        ),
        _ => respond(
            stream,
            404,
            "text/plain",
            b"not found: try /metrics\n",
            head_only,
        ),
    }
}

fn respond(
    mut stream: &TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         {allow}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()?;
    Ok(())
}
