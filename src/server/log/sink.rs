//! Where lines go: a buffer in memory, handed in chunks to a writer thread for
//! stdout, and a second thread for stderr (notices, and the once-a-second reports).

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::server::metrics;

/// A buffer is handed to the writer thread when it holds this much.
const CHUNK: usize = 16 * 1024;
/// Chunks waiting for the writer thread: 1 MiB of lines at most.
const QUEUE: usize = 64;

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
/// user that never calls it), access-log lines are not recorded and [`lifecycle`]
/// and [`warning`] write directly.
pub fn start(format: Option<LogFormat>) {
    SINK.get_or_init(|| {
        let (stdout, stdout_rx) = mpsc::sync_channel::<Option<Vec<u8>>>(QUEUE);
        let (stderr, stderr_rx) = mpsc::sync_channel(QUEUE);
        let (ended_tx, ended) = mpsc::channel();
        let ended_too = ended_tx.clone();
        spawn("mote-log-out", move || {
            while let Ok(Some(bytes)) = stdout_rx.recv() {
                write_ignoring_errors(Stream::Stdout, &bytes);
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

/// A lifecycle message for stdout (listening, signals, exiting), after the
/// access-log lines recorded before it.
pub fn lifecycle(line: &str) {
    notice(line, Stream::Stdout);
}

/// A warning for stderr.
pub fn warning(line: &str) {
    notice(line, Stream::Stderr);
}

/// Which of the two a message goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

fn notice(line: &str, stream: Stream) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let Some(sink) = SINK.get() else {
        write_ignoring_errors(stream, &bytes);
        return;
    };
    match stream {
        Stream::Stdout => {
            sink.lock().extend_from_slice(&bytes);
            sink.hand_over();
        }
        Stream::Stderr => {
            let _ = sink.stderr.try_send(Some(bytes));
        }
    }
}

/// The access log's format, `None` when it is off or was never started.
pub(super) fn format() -> Option<LogFormat> {
    SINK.get()?.format
}

/// Appends one access-log line (`write` gets the buffer and the format), and
/// hands a full buffer to the writer thread. Nothing when the log is off.
#[inline]
pub(super) fn record(write: impl FnOnce(&mut Vec<u8>, LogFormat)) {
    let Some((sink, format)) = SINK.get().and_then(|sink| Some((sink, sink.format?))) else {
        return;
    };
    let full = {
        let mut buffer = sink.lock();
        write(&mut buffer, format);
        buffer.len() >= CHUNK
    };
    if full {
        sink.hand_over();
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
            write_ignoring_errors(Stream::Stderr, line.as_bytes());
        }
    };
    loop {
        match lines.recv_timeout(Duration::from_secs(1)) {
            Ok(Some(bytes)) => write_ignoring_errors(Stream::Stderr, &bytes),
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
                    write_ignoring_errors(Stream::Stderr, line.as_bytes());
                    errors_reported = errors;
                }
            }
        }
        report(&mut reported);
    }
}

/// A closed pipe (EPIPE) or a full disk (EIO, ENOSPC) must not take the server down.
fn write_ignoring_errors(stream: Stream, bytes: &[u8]) {
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(bytes),
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    };
}
