//! Two timeouts on one hyper timer: a client gets `header` to send a request head,
//! and a kept-alive connection may sit `idle` between requests before its next head
//! begins. hyper has one knob for both (its header-read timer starts when it starts
//! waiting for a head, idle or not), so this timer tells them apart by watching the
//! socket: while no byte of the next head has arrived the idle deadline applies;
//! the first byte starts the header deadline.
//!
//! The first head on a connection always gets the header deadline from accept: a
//! client that connects and says nothing is a slowloris, not an idle keep-alive.
//!
//! The other direction: [`ConnIo`] cuts a connection whose writes make no progress
//! for the send timeout (a client that asks for a large file and never reads would
//! otherwise hold its connection slot forever). It is also where a body with a
//! file behind it (site/mapped.rs) leaves by `sendfile`, under the same timeout.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

use super::os::{self, unsent_bytes};
use crate::site::{file_behind, SEND_FROM_FILE};

/// Counts reads that brought bytes, shared by a connection's socket and its timer.
pub type ReadCount = Arc<AtomicU64>;

/// A connection's timer. hyper asks it for one sleep per request head.
pub struct HeadTimer {
    header: Duration,
    idle: Duration,
    reads: ReadCount,
    heads: AtomicU32,
}

impl HeadTimer {
    /// hyper must be given `header` as its `header_read_timeout`.
    pub fn new(header: Duration, idle: Duration, reads: ReadCount) -> Self {
        HeadTimer {
            header,
            idle,
            reads,
            heads: AtomicU32::new(0),
        }
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    /// `deadline` is hyper's: when it began waiting for a head, plus `header`.
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let first_head = self.heads.fetch_add(1, Ordering::Relaxed) == 0;
        let waiting_since = deadline.checked_sub(self.header).unwrap_or(deadline);
        let (deadline, idle) = if first_head {
            (deadline, false)
        } else {
            (waiting_since + self.idle, true)
        };
        Box::pin(HeadSleep {
            sleep: tokio::time::sleep_until(deadline.into()),
            idle,
            reads_before: self.reads.load(Ordering::Relaxed),
            reads: self.reads.clone(),
            header: self.header,
        })
    }
}

pin_project! {
    struct HeadSleep {
        #[pin]
        sleep: tokio::time::Sleep,
        // Waiting on a kept-alive connection with no byte of the head yet.
        idle: bool,
        reads_before: u64,
        reads: ReadCount,
        header: Duration,
    }
}

impl Sleep for HeadSleep {}

impl Future for HeadSleep {
    type Output = ();

    /// hyper polls this each time a read leaves the head incomplete, so the first
    /// byte of a head is seen here as soon as it arrives.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if *this.idle && this.reads.load(Ordering::Relaxed) != *this.reads_before {
            *this.idle = false;
            let deadline = tokio::time::Instant::now() + *this.header;
            this.sleep.as_mut().reset(deadline);
        }
        this.sleep.poll(cx)
    }
}

pin_project! {
    /// A socket that counts the reads that brought bytes (for [`HeadTimer`]) and
    /// fails a write that has made no progress for `send_timeout`.
    pub struct ConnIo<T> {
        #[pin]
        inner: T,
        reads: ReadCount,
        send_timeout: Duration,
        // Armed when a write first returns Pending; disarmed by any progress.
        // Boxed (once per connection): hyper wants an Unpin socket.
        stalled: Pin<Box<tokio::time::Sleep>>,
        stall_armed: bool,
        // Bytes in the kernel's send queue when the timer was armed.
        queued_at_arm: u64,
        // The socket's unsent bytes are limited (see os::limit_unsent): set at
        // the first large write.
        paced: bool,
    }
}

impl<T> ConnIo<T> {
    /// Wraps a connection's socket (inside the runtime: the stall timer is tokio's).
    pub fn new(inner: T, reads: ReadCount, send_timeout: Duration) -> Self {
        ConnIo {
            inner,
            reads,
            send_timeout,
            stalled: Box::pin(tokio::time::sleep(send_timeout)),
            stall_armed: false,
            queued_at_arm: 0,
            paced: false,
        }
    }
}

impl<T: AsyncRead> AsyncRead for ConnIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let result = this.inner.poll_read(cx, buf);
        if buf.filled().len() > before {
            this.reads.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

impl<T: AsyncWrite + AsRawFd> ConnIo<T> {
    /// Limits the socket's unsent bytes once the connection writes a large body
    /// ([`os::PACE_FROM`]); smaller responses still go out in one write.
    fn pace(self: Pin<&mut Self>, len: usize) {
        let this = self.project();
        if !*this.paced && len >= os::PACE_FROM {
            *this.paced = true;
            os::limit_unsent(this.inner.as_raw_fd());
        }
    }

    /// Passes a write's result through, arming the stall timer on the first
    /// Pending; any result but Pending is progress (or an error of the socket's
    /// own) and disarms it. When the timer fires, the kernel's send queue says
    /// whether the client read anything meanwhile: a steady but slow reader keeps
    /// the writer Pending for long (the kernel wakes a writer only once a third of
    /// a large send buffer is free), and only a client that took nothing at all
    /// for the whole timeout is cut, with TimedOut.
    fn watch<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let this = self.project();
        let fd = this.inner.as_raw_fd();
        match write(this.inner, cx) {
            Poll::Pending => {
                if !*this.stall_armed {
                    *this.stall_armed = true;
                    *this.queued_at_arm = unsent_bytes(fd);
                    let deadline = TokioInstant::now() + *this.send_timeout;
                    this.stalled.as_mut().reset(deadline);
                }
                while this.stalled.as_mut().poll(cx).is_ready() {
                    let queued = unsent_bytes(fd);
                    if queued >= *this.queued_at_arm {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "send timeout: the client stopped reading",
                        )));
                    }
                    *this.queued_at_arm = queued;
                    let deadline = TokioInstant::now() + *this.send_timeout;
                    this.stalled.as_mut().reset(deadline);
                }
                Poll::Pending
            }
            done => {
                *this.stall_armed = false;
                done
            }
        }
    }
}

impl AsyncWrite for ConnIo<TcpStream> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.as_mut().pace(buf.len());
        self.watch(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    /// A body with a file behind it (site/mapped.rs) goes out with `sendfile`,
    /// the bytes before it (the head) just before with MSG_MORE.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.as_mut().pace(bufs.iter().map(|buf| buf.len()).sum());
        let from_file = bufs.iter().enumerate().find_map(|(at, buf)| {
            (buf.len() >= SEND_FROM_FILE)
                .then(|| file_behind(buf))
                .flatten()
                .map(|file| (at, file, buf.len()))
        });
        match from_file {
            Some((at, file, len)) => self.watch(cx, |inner, cx| {
                send_with_file(&inner, cx, &bufs[..at], file, len)
            }),
            None => self.watch(cx, |inner, cx| inner.poll_write_vectored(cx, bufs)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.watch(cx, |inner, cx| inner.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.watch(cx, |inner, cx| inner.poll_shutdown(cx))
    }
}

/// Writes `head` (all of it, or a part: then that is the result) and then `len`
/// bytes of the file `fd` from `offset`, with the socket's readiness as tokio
/// tracks it. The head goes with MSG_MORE, so that it leaves in the packets of
/// the body rather than a small one of its own. 0 bytes sent (the file ended
/// early) is hyper's to refuse (WriteZero).
fn send_with_file(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    head: &[io::IoSlice<'_>],
    (fd, offset): (RawFd, u64),
    len: usize,
) -> Poll<io::Result<usize>> {
    let socket = stream.as_raw_fd();
    let send_body = || os::send_file(socket, fd, offset, len);
    if head.is_empty() {
        return write_ready(stream, cx, send_body);
    }
    let head_len: usize = head.iter().map(|buf| buf.len()).sum();
    let sent = ready!(write_ready(stream, cx, || os::send_more(socket, head)))?;
    if sent < head_len {
        return Poll::Ready(Ok(sent));
    }
    // The head went: the body too if the socket takes it now, else at the next call.
    Poll::Ready(match stream.try_io(Interest::WRITABLE, send_body) {
        Ok(n) => Ok(sent + n),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(sent),
        Err(e) => Err(e),
    })
}

/// `write` once the socket takes bytes: Pending (woken when it may) until then.
fn write_ready(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    mut write: impl FnMut() -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        ready!(stream.poll_write_ready(cx))?;
        match stream.try_io(Interest::WRITABLE, &mut write) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return Poll::Ready(result),
        }
    }
}
