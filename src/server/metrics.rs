//! Counters for `/metrics` on the admin listener, in the Prometheus text format
//! (0.0.4), hand-written: a few atomics and one `write!` per line, no library.
//!
//! The access-log layer counts every response (method, status class, body bytes
//! sent, content coding) whether or not the log is on; the server counts
//! connections; the loader's statistics are set once at start.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

use http::{HeaderValue, Method, StatusCode};

use crate::content_coding::ContentCoding;

const METHODS: [&str; 4] = ["GET", "HEAD", "OPTIONS", "other"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// The codings counted, in `by_coding`'s order (`coding_index`).
const CODINGS: [ContentCoding; 4] = [
    ContentCoding::Identity,
    ContentCoding::Brotli,
    ContentCoding::Zstd,
    ContentCoding::Gzip,
];

/// Where a response's `Content-Encoding` is in [`CODINGS`] (a match on the
/// bytes: this runs per response).
fn coding_index(coding: Option<&HeaderValue>) -> usize {
    match coding.map(HeaderValue::as_bytes) {
        None => 0,
        Some(b"br") => 1,
        Some(b"zstd") => 2,
        Some(b"gzip") => 3,
        Some(_) => 0,
    }
}

/// Every counter mote exports.
pub struct Metrics {
    requests: [[AtomicU64; 5]; 4],
    response_bytes: AtomicU64,
    by_coding: [AtomicU64; 4],
    /// Connections open now.
    pub connections_open: AtomicU64,
    /// Connections accepted since start.
    pub connections_total: AtomicU64,
    /// Requests whose response is not finished yet.
    pub in_flight: AtomicU64,
    /// Connections cut by the header, idle or send timeout, or refused by the
    /// HTTP parser (400, 431).
    pub connection_errors: AtomicU64,
    site: OnceLock<SiteGauges>,
}

/// What loading found, set once.
pub struct SiteGauges {
    /// Resources.
    pub files: u64,
    /// Bytes copied into memory.
    pub memory_bytes: u64,
    /// Bytes mapped from files above the preload limit.
    pub mapped_bytes: u64,
    /// Load time.
    pub load_millis: u64,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZEROS: [AtomicU64; 5] = [ZERO, ZERO, ZERO, ZERO, ZERO];

static METRICS: Metrics = Metrics::new();

/// The process's counters.
pub fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// All zero, no site yet.
    const fn new() -> Metrics {
        Metrics {
            requests: [ZEROS, ZEROS, ZEROS, ZEROS],
            response_bytes: ZERO,
            by_coding: [ZERO; 4],
            connections_open: ZERO,
            connections_total: ZERO,
            in_flight: ZERO,
            connection_errors: ZERO,
            site: OnceLock::new(),
        }
    }

    /// Counts a response when its body is done.
    pub fn response(
        &self,
        method: &Method,
        status: StatusCode,
        coding: Option<&HeaderValue>,
        bytes: u64,
    ) {
        let method = match *method {
            Method::GET => 0,
            Method::HEAD => 1,
            Method::OPTIONS => 2,
            _ => 3,
        };
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.requests[method][class].fetch_add(1, Relaxed);
        self.response_bytes.fetch_add(bytes, Relaxed);
        self.by_coding[coding_index(coding)].fetch_add(1, Relaxed);
    }

    /// Records what loading found.
    pub fn set_site(&self, gauges: SiteGauges) {
        let _ = self.site.set(gauges);
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self, dropped_log_lines: u64) -> String {
        let mut out = String::with_capacity(4096);
        let requests = "mote_requests_total";
        family(
            &mut out,
            requests,
            "counter",
            "Responses sent, by request method and status class.",
        );
        for (m, method) in METHODS.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[m][c].load(Relaxed);
                let _ = writeln!(
                    out,
                    "{requests}{{method=\"{method}\",status=\"{class}\"}} {n}"
                );
            }
        }
        for (name, kind, help, value) in self.counters(dropped_log_lines) {
            family(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        let by_coding = "mote_responses_by_coding_total";
        family(
            &mut out,
            by_coding,
            "counter",
            "Responses by content coding.",
        );
        for (i, coding) in CODINGS.iter().enumerate() {
            let n = self.by_coding[i].load(Relaxed);
            let _ = writeln!(out, "{by_coding}{{coding=\"{}\"}} {n}", coding.token());
        }
        if let Some(site) = self.site.get() {
            for (name, help, value) in site.gauges() {
                family(&mut out, name, "gauge", help);
                let _ = writeln!(out, "{name} {value}");
            }
            // Seconds with millisecond precision, in integers (no float formatting code).
            let load = "mote_site_load_seconds";
            family(&mut out, load, "gauge", "Time loading the site took.");
            let (secs, millis) = (site.load_millis / 1000, site.load_millis % 1000);
            let _ = writeln!(out, "{load} {secs}.{millis:03}");
        }
        family(&mut out, "mote_build_info", "gauge", "The running build.");
        let _ = writeln!(
            out,
            "mote_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }

    /// The single-valued families: name, kind, help, value.
    fn counters(
        &self,
        dropped_log_lines: u64,
    ) -> [(&'static str, &'static str, &'static str, u64); 6] {
        [
            (
                "mote_response_body_bytes_total",
                "counter",
                "Response body bytes sent.",
                self.response_bytes.load(Relaxed),
            ),
            (
                "mote_connections_open",
                "gauge",
                "Client connections open now.",
                self.connections_open.load(Relaxed),
            ),
            (
                "mote_connections_total",
                "counter",
                "Client connections accepted.",
                self.connections_total.load(Relaxed),
            ),
            (
                "mote_requests_in_flight",
                "gauge",
                "Requests whose response is not finished.",
                self.in_flight.load(Relaxed),
            ),
            (
                "mote_connection_errors_total",
                "counter",
                "Connections ended by a timeout or a request the HTTP parser refused (400, 431).",
                self.connection_errors.load(Relaxed),
            ),
            (
                "mote_access_log_dropped_lines_total",
                "counter",
                "Access-log lines dropped because stdout did not keep up.",
                dropped_log_lines,
            ),
        ]
    }
}

impl SiteGauges {
    /// The site's gauges: name, help, value.
    fn gauges(&self) -> [(&'static str, &'static str, u64); 3] {
        [
            ("mote_site_files", "Resources loaded at start.", self.files),
            (
                "mote_site_memory_bytes",
                "Bytes of the site copied into memory.",
                self.memory_bytes,
            ),
            (
                "mote_site_mapped_bytes",
                "Bytes of the site mapped from files above the preload limit.",
                self.mapped_bytes,
            ),
        ]
    }
}

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_indices_follow_codings() {
        for (i, coding) in CODINGS.iter().enumerate() {
            assert_eq!(
                coding_index(coding.header_value().as_ref()),
                i,
                "{coding:?}"
            );
        }
        assert_eq!(coding_index(Some(&HeaderValue::from_static("x-other"))), 0);
    }

    #[test]
    fn every_family_has_help_and_type_once() {
        let metrics = Metrics::new();
        metrics.set_site(SiteGauges {
            files: 3,
            memory_bytes: 10,
            mapped_bytes: 0,
            load_millis: 1234,
        });
        let text = metrics.render(0);
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(families.len(), 13, "{text}");
        for name in &families {
            assert_eq!(
                text.matches(&format!("# HELP {name} ")).count(),
                1,
                "{name}"
            );
        }
        assert!(text.contains("mote_site_load_seconds 1.234\n"), "{text}");
        assert!(
            text.contains("mote_responses_by_coding_total{coding=\"zstd\"} 0\n"),
            "{text}"
        );
    }
}
