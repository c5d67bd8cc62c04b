//! The access log, and every line mote writes after start: never blocking, never
//! fatal.
//!
//! A line per request, written when the response body is done (so the duration
//! covers sending it): `2026-11-22T23:10:27.123Z 127.0.0.1 GET /index.html 200 1234
//! 0.052ms` (time, client, method, path without query, status, body bytes sent,
//! duration), or with `--log-format json` one JSON object per line with those and
//! the user agent, referer and X-Forwarded-For (as sent: no trust decision). Control
//! characters are escaped in both formats and a field longer than 1 KiB is cut with
//! a marker, so no request can forge or flood a line.
//!
//! Why a writer thread: stdout is a pipe to whatever collects logs (Docker's
//! blocking log driver, a paused terminal, `| head -1`), and a write to it can
//! block forever or fail. So a request only appends its line to a buffer in memory;
//! full buffers (16 KiB) go into a bounded queue, and one dedicated thread, never a
//! runtime worker, writes them out (and the partial buffer every second). When the
//! queue is full the buffer is dropped and its lines counted; the count is reported
//! on stderr. A closed or broken stdout/stderr is ignored: serving goes on.
//!
//! [`AccessLog`] is the tower service that records the lines: the server wraps its
//! router in one per connection. [`notice`] is for the server's own messages
//! (signals, warnings), which go through the same thread, so nothing after start
//! writes to stdout or stderr from a runtime worker.

use std::cell::Cell;
use std::future::Future;
use std::io::Write as _;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Buf;
use http::header::{HeaderName, CONTENT_ENCODING, REFERER, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::metrics;

/// A buffer is handed to the writer thread when it holds this much.
const CHUNK: usize = 16 * 1024;
/// Chunks waiting for the writer thread: 1 MiB of lines at most.
const QUEUE: usize = 64;
/// A longer field is cut, with [`CUT`] after it.
const MAX_FIELD: usize = 1024;
const CUT: &str = "...[cut]";

/// How access-log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `time client method path status bytes duration`, space-separated.
    Text,
    /// One JSON object per line.
    Json,
}

/// Counts of what the log could not write, for the closing line and metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Access-log lines dropped because the queue was full.
    pub dropped_lines: AtomicU64,
}

/// The running log: the buffer requests append to, and the two writer threads.
struct Sink {
    buffer: Mutex<Vec<u8>>,
    /// Full buffers for stdout; `None` asks the thread to end.
    stdout: SyncSender<Option<Vec<u8>>>,
    /// Lines for stderr; `None` asks the thread to end.
    stderr: SyncSender<Option<Vec<u8>>>,
    counters: Counters,
    /// Each thread says here when it has ended.
    ended: Mutex<Receiver<()>>,
    /// `None`: no access-log lines (`--no-access-log`), only notices.
    format: Option<LogFormat>,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Starts the writer threads (`format`: the access log's, `None` for notices
/// only): one for stdout, and one for stderr that also hands
/// the partial buffer to the first every second and reports dropped lines (a
/// blocked stdout cannot stop it from saying so). Until this is called (a library
/// user that never calls it), access-log lines are not recorded and [`notice`]
/// writes directly.
pub fn start(format: Option<LogFormat>) {
    SINK.get_or_init(|| {
        let (stdout, stdout_rx) = mpsc::sync_channel::<Option<Vec<u8>>>(QUEUE);
        let (stderr, stderr_rx) = mpsc::sync_channel(QUEUE);
        let (ended_tx, ended) = mpsc::channel();
        let ended_too = ended_tx.clone();
        spawn("mote-log-out", move || {
            while let Ok(Some(bytes)) = stdout_rx.recv() {
                write_ignoring_errors(true, &bytes);
            }
            let _ = ended_tx.send(());
        });
        spawn("mote-log-err", move || {
            write_stderr(stderr_rx);
            let _ = ended_too.send(());
        });
        Sink {
            buffer: Mutex::new(Vec::with_capacity(CHUNK)),
            stdout,
            stderr,
            counters: Counters::default(),
            ended: Mutex::new(ended),
            format,
        }
    });
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .expect("a thread for the log writer");
}

/// The log's counters (`None` when it was never started).
pub fn counters() -> Option<&'static Counters> {
    SINK.get().map(|sink| &sink.counters)
}

/// A line for stderr (a warning) or, with `to_stdout`, for stdout (a lifecycle
/// message, after the access-log lines recorded before it).
pub fn notice(line: &str, to_stdout: bool) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let Some(sink) = SINK.get() else {
        write_ignoring_errors(to_stdout, &bytes);
        return;
    };
    if to_stdout {
        sink.lock().extend_from_slice(&bytes);
        sink.hand_over();
    } else {
        let _ = sink.stderr.try_send(Some(bytes));
    }
}

/// Writes out what is buffered and stops the writer threads, waiting at most
/// `limit` for them (a blocked stdout must not hold up the exit).
pub fn finish(limit: Duration) {
    let Some(sink) = SINK.get() else { return };
    sink.hand_over();
    let _ = sink.stdout.try_send(None);
    let _ = sink.stderr.try_send(None);
    let deadline = Instant::now() + limit;
    let ended = sink
        .ended
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if ended.recv_timeout(left).is_err() {
            return;
        }
    }
}

impl Sink {
    /// Queues the buffered lines for the stdout writer; drops (and counts) them
    /// when its queue is full.
    fn hand_over(&self) {
        let full = {
            let mut buffer = self.lock();
            // The once-a-second call mostly finds nothing: keep the buffer then.
            if buffer.is_empty() {
                return;
            }
            std::mem::replace(&mut *buffer, Vec::with_capacity(CHUNK))
        };
        if let Err(TrySendError::Full(Some(lost))) = self.stdout.try_send(Some(full)) {
            let lines = lost.iter().filter(|&&b| b == b'\n').count() as u64;
            self.counters
                .dropped_lines
                .fetch_add(lines, Ordering::Relaxed);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.buffer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The stderr thread: its lines as they come; every second the partial stdout
/// buffer handed over and, when lines were dropped since the last report, a line
/// saying how many; the same report once more at the end.
fn write_stderr(lines: Receiver<Option<Vec<u8>>>) {
    let mut reported = 0;
    let mut errors_reported = 0;
    let report = |reported: &mut u64| {
        let Some(sink) = SINK.get() else { return };
        let dropped = sink.counters.dropped_lines.load(Ordering::Relaxed);
        if dropped != *reported {
            *reported = dropped;
            let line = format!(
                "mote: access log: {dropped} lines dropped so far (stdout is not being read fast enough)\n"
            );
            write_ignoring_errors(false, line.as_bytes());
        }
    };
    loop {
        match lines.recv_timeout(Duration::from_secs(1)) {
            Ok(Some(bytes)) => write_ignoring_errors(false, &bytes),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                report(&mut reported);
                return;
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(sink) = SINK.get() {
                    sink.hand_over();
                }
                // Bad or slow clients, in summary, at most once a second: one
                // line per event would let a scanner flood the log.
                let errors = metrics::get().connection_errors.load(Ordering::Relaxed);
                if errors != errors_reported {
                    let line = format!(
                        "mote: {} connection(s) ended by a timeout or a malformed request (400/431) in the last second; {errors} since start\n",
                        errors - errors_reported
                    );
                    write_ignoring_errors(false, line.as_bytes());
                    errors_reported = errors;
                }
            }
        }
        report(&mut reported);
    }
}

/// A closed pipe (EPIPE) or a full disk (EIO, ENOSPC) must not take the server down.
fn write_ignoring_errors(to_stdout: bool, bytes: &[u8]) {
    let _ = if to_stdout {
        std::io::stdout().lock().write_all(bytes)
    } else {
        std::io::stderr().lock().write_all(bytes)
    };
}

/// A tower service that counts each response of `inner` in [`crate::metrics`]
/// and records its access-log line (when the log is on), for one connection (it
/// knows the client's address).
#[derive(Clone)]
pub struct AccessLog<S> {
    inner: S,
    client: IpAddr,
}

impl<S> AccessLog<S> {
    /// Logs the requests `inner` answers for `client`.
    pub fn new(inner: S, client: IpAddr) -> Self {
        AccessLog { inner, client }
    }
}

/// What a line needs from the request, kept until the body is done.
struct Record {
    started: Instant,
    client: IpAddr,
    method: Method,
    /// Shares the request's bytes: no copy of the path per request.
    uri: Uri,
    /// For the JSON format only (reference-counted copies of the request's).
    user_agent: Option<HeaderValue>,
    referer: Option<HeaderValue>,
    forwarded_for: Option<HeaderValue>,
}

impl<S, B, R> tower_service::Service<Request<B>> for AccessLog<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<Logged<R>>;
    type Error = S::Error;
    type Future = LogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        metrics::get().in_flight.fetch_add(1, Ordering::Relaxed);
        let json = SINK
            .get()
            .is_some_and(|sink| sink.format == Some(LogFormat::Json));
        let header = |name: HeaderName| match json {
            true => request.headers().get(name).cloned(),
            false => None,
        };
        let record = Some(Record {
            started: Instant::now(),
            client: self.client,
            method: request.method().clone(),
            uri: request.uri().clone(),
            user_agent: header(USER_AGENT),
            referer: header(REFERER),
            forwarded_for: header(HeaderName::from_static("x-forwarded-for")),
        });
        LogFuture {
            inner: self.inner.call(request),
            record,
        }
    }
}

pin_project! {
    /// The response future of [`AccessLog`].
    pub struct LogFuture<F> {
        #[pin]
        inner: F,
        record: Option<Record>,
    }
}

impl<F, R, E> Future for LogFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = Result<Response<Logged<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let status = response.status();
        let coding = response.headers().get(CONTENT_ENCODING).cloned();
        let record = this.record.take();
        Poll::Ready(Ok(response.map(|inner| Logged {
            inner,
            line: record.map(|record| Line {
                record,
                status,
                coding,
                sent: 0,
            }),
        })))
    }
}

struct Line {
    record: Record,
    status: StatusCode,
    coding: Option<HeaderValue>,
    sent: u64,
}

pin_project! {
    /// A response body that writes its access-log line when it is dropped: after
    /// the last byte was handed to the socket, or when the client went away.
    pub struct Logged<B> {
        #[pin]
        inner: B,
        line: Option<Line>,
    }

    impl<B> PinnedDrop for Logged<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(line) = this.project().line.take() {
                line.write();
            }
        }
    }
}

impl<B: http_body::Body> http_body::Body for Logged<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let (Some(Ok(frame)), Some(line)) = (&frame, this.line.as_mut()) {
            if let Some(data) = frame.data_ref() {
                line.sent += data.remaining() as u64;
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Line {
    /// Counts the response, and writes its line when the log is on.
    fn write(self) {
        let metrics = metrics::get();
        metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        metrics.response(
            &self.record.method,
            self.status,
            self.coding.as_ref(),
            self.sent,
        );
        let Some((sink, format)) = SINK.get().and_then(|sink| Some((sink, sink.format?))) else {
            return;
        };
        let micros = self.record.started.elapsed().as_micros();
        let record = &self.record;
        let full = {
            let mut buffer = sink.lock();
            let line = &mut *buffer;
            let now = SystemTime::now();
            match format {
                LogFormat::Text => {
                    push_rfc3339(line, now);
                    line.push(b' ');
                    push_ip(line, record.client);
                    line.push(b' ');
                    line.extend_from_slice(record.method.as_str().as_bytes());
                    line.push(b' ');
                    escaped_text(line, record.uri.path().as_bytes());
                    line.push(b' ');
                    line.extend_from_slice(&three_digits(self.status.as_u16()));
                    line.push(b' ');
                    push_u64(line, self.sent, 1);
                    line.push(b' ');
                    push_millis(line, micros);
                    line.extend_from_slice(b"ms\n");
                }
                LogFormat::Json => {
                    line.extend_from_slice(b"{\"time\":\"");
                    push_rfc3339(line, now);
                    line.extend_from_slice(b"\",\"client\":\"");
                    push_ip(line, record.client);
                    line.extend_from_slice(b"\",\"method\":");
                    json_string(line, Some(record.method.as_str().as_bytes()));
                    line.extend_from_slice(b",\"path\":");
                    json_string(line, Some(record.uri.path().as_bytes()));
                    line.extend_from_slice(match record.uri.query() {
                        Some(_) => b",\"query\":true,\"status\":",
                        None => b",\"query\":false,\"status\":",
                    });
                    line.extend_from_slice(&three_digits(self.status.as_u16()));
                    line.extend_from_slice(b",\"bytes\":");
                    push_u64(line, self.sent, 1);
                    line.extend_from_slice(b",\"duration_ms\":");
                    push_millis(line, micros);
                    line.extend_from_slice(b",\"user_agent\":");
                    json_string(line, record.user_agent.as_ref().map(HeaderValue::as_bytes));
                    line.extend_from_slice(b",\"referer\":");
                    json_string(line, record.referer.as_ref().map(HeaderValue::as_bytes));
                    line.extend_from_slice(b",\"x_forwarded_for\":");
                    json_string(
                        line,
                        record.forwarded_for.as_ref().map(HeaderValue::as_bytes),
                    );
                    line.extend_from_slice(b"}\n");
                }
            }
            buffer.len() >= CHUNK
        };
        if full {
            sink.hand_over();
        }
    }
}

// The line is written by hand, not with `write!`: core::fmt cost about 5,000
// instructions per line, a sixth of a 1 KB request (bench/instructions.py).

/// `bytes` as text, control bytes, backslashes and non-ASCII as `\xNN`, cut at
/// [`MAX_FIELD`].
fn escaped_text(out: &mut Vec<u8>, bytes: &[u8]) {
    escape(
        out,
        bytes,
        |b| b.is_ascii_graphic() && b != b'\\',
        |out, b| {
            out.extend_from_slice(b"\\x");
            push_hex(out, b);
        },
    );
}

/// `bytes` as a JSON string (`null` for none): quotes, backslashes, control and
/// non-ASCII bytes escaped (`\u00XX`, byte by byte: header values need not be
/// UTF-8), cut at [`MAX_FIELD`].
fn json_string(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    let Some(bytes) = bytes else {
        out.extend_from_slice(b"null");
        return;
    };
    out.push(b'"');
    let plain = |b: u8| matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\';
    escape(out, bytes, plain, |out, b| match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        _ => {
            out.extend_from_slice(b"\\u00");
            push_hex(out, b);
        }
    });
    out.push(b'"');
}

/// Copies the first [`MAX_FIELD`] bytes, runs of `plain` ones at once and each
/// other one through `escaped`, then [`CUT`] if there was more.
fn escape(
    out: &mut Vec<u8>,
    bytes: &[u8],
    plain: impl Fn(u8) -> bool,
    escaped: impl Fn(&mut Vec<u8>, u8),
) {
    let mut rest = &bytes[..bytes.len().min(MAX_FIELD)];
    while let Some(i) = rest.iter().position(|&b| !plain(b)) {
        out.extend_from_slice(&rest[..i]);
        escaped(out, rest[i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    if bytes.len() > MAX_FIELD {
        out.extend_from_slice(CUT.as_bytes());
    }
}

/// Two lowercase hex digits.
fn push_hex(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn push_u64(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while n > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[start.min(digits.len() - width.min(20))..]);
}

/// `n` (below 1000) as three digits, zero-padded: a status code, milliseconds.
fn three_digits(n: u16) -> [u8; 3] {
    [
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

/// A duration in microseconds as milliseconds with three decimals: `12.345`.
fn push_millis(out: &mut Vec<u8>, micros: u128) {
    push_u64(out, (micros / 1000) as u64, 1);
    let [a, b, c] = three_digits((micros % 1000) as u16);
    out.extend_from_slice(&[b'.', a, b, c]);
}

/// The client's address as `Display` writes it (IPv4 by hand, the common case).
fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            // Assembled on the stack and copied once: one call per field, not per digit.
            let mut text = [0u8; 15];
            let mut len = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text[len] = b'.';
                    len += 1;
                }
                if octet >= 100 {
                    text[len] = b'0' + octet / 100;
                    len += 1;
                }
                if octet >= 10 {
                    text[len] = b'0' + octet / 10 % 10;
                    len += 1;
                }
                text[len] = b'0' + octet % 10;
                len += 1;
            }
            out.extend_from_slice(&text[..len]);
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// A time as `YYYY-MM-DDThh:mm:ss.mmmZ` (UTC).
fn push_rfc3339(out: &mut Vec<u8>, time: SystemTime) {
    out.extend_from_slice(&rfc3339(time));
}

thread_local! {
    /// The last second a line was stamped with on this thread, and its text: lines
    /// come many to a second, and only the milliseconds change between them.
    static STAMPED: Cell<(u64, [u8; 24])> = const { Cell::new((u64::MAX, [0; 24])) };
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ`; the calendar worked out once a second per thread.
fn rfc3339(time: SystemTime) -> [u8; 24] {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (second, mut text) = STAMPED.get();
    if second != secs {
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        let year = year.clamp(0, 9999) as u64;
        let fields = [
            (0, year / 100),
            (2, year % 100),
            (5, month.into()),
            (8, day.into()),
            (11, rem / 3600),
            (14, rem / 60 % 60),
            (17, rem % 60),
        ];
        for (at, value) in fields {
            text[at] = b'0' + (value / 10) as u8;
            text[at + 1] = b'0' + (value % 10) as u8;
        }
        for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
            text[at] = separator;
        }
        text[19] = b'.';
        text[23] = b'Z';
        STAMPED.set((secs, text));
    }
    text[20..23].copy_from_slice(&three_digits(since_epoch.subsec_millis() as u16));
    text
}

/// Days since 1970-01-01 -> (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut out = Vec::new();
        escaped_text(&mut out, b"/a b\n\\\xff");
        assert_eq!(out, b"/a\\x20b\\x0a\\x5c\\xff");
        let mut out = Vec::new();
        json_string(&mut out, Some(b"say \"hi\"\t\\ \xc3\xa9"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""say \"hi\"\u0009\\ \u00c3\u00a9""#
        );
        let mut out = Vec::new();
        json_string(&mut out, Some(&[b'a'; 2000]));
        assert_eq!(out.len(), 1 + MAX_FIELD + CUT.len() + 1);
        let mut out = Vec::new();
        json_string(&mut out, None);
        assert_eq!(out, b"null");
    }

    #[test]
    fn timestamps() {
        let formatted = |millis: u64| {
            let mut out = Vec::new();
            push_rfc3339(
                &mut out,
                UNIX_EPOCH + std::time::Duration::from_millis(millis),
            );
            String::from_utf8(out).unwrap()
        };
        assert_eq!(formatted(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(formatted(951_782_405_007), "2000-02-29T00:00:05.007Z");
        assert_eq!(formatted(0), "1970-01-01T00:00:00.000Z");
        // The calendar part is kept per second: the same second, then back and on.
        assert_eq!(formatted(4_000), "1970-01-01T00:00:04.000Z");
        assert_eq!(formatted(4_999), "1970-01-01T00:00:04.999Z");
        assert_eq!(formatted(3_500), "1970-01-01T00:00:03.500Z");
        assert_eq!(formatted(86_400_000 + 4_001), "1970-01-02T00:00:04.001Z");
        assert_eq!(formatted(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn numbers_and_addresses() {
        let text = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            f(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(&|o| push_u64(o, 0, 1)), "0");
        assert_eq!(text(&|o| push_u64(o, 7, 3)), "007");
        assert_eq!(text(&|o| push_u64(o, 1234, 3)), "1234");
        assert_eq!(text(&|o| push_u64(o, u64::MAX, 1)), u64::MAX.to_string());
        assert_eq!(text(&|o| push_millis(o, 12_045)), "12.045");
        assert_eq!(text(&|o| push_millis(o, 7)), "0.007");
        assert_eq!(text(&|o| push_millis(o, 3_600_999_999)), "3600999.999");
        assert_eq!(
            text(&|o| o.extend_from_slice(&three_digits(StatusCode::OK.as_u16()))),
            "200"
        );
        assert_eq!(
            text(&|o| o.extend_from_slice(&three_digits(StatusCode::NOT_MODIFIED.as_u16()))),
            "304"
        );
        for ip in ["127.0.0.1", "0.0.0.0", "255.10.0.200", "::1", "2001:db8::7"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(text(&|o| push_ip(o, ip)), ip.to_string());
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
    }
}
