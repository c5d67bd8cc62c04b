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
//! [`AccessLog`] ([`layer`]) is the tower service that records the lines: the server
//! wraps its router in one per connection. [`lifecycle`] and [`warning`] are for the
//! server's own messages (signals, warnings), which go through the same threads
//! ([`sink`]), so nothing after start writes to stdout or stderr from a runtime
//! worker. [`format`] writes the bytes of a line.

pub mod format;
pub mod layer;
pub mod sink;

pub use layer::AccessLog;
pub use sink::{counters, finish, lifecycle, start, warning, Counters, LogFormat};
