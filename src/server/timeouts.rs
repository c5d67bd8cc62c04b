//! Two timeouts on one hyper timer: a client gets `header` to send a request head,
//! and a kept-alive connection may sit `idle` between requests before its next head
//! begins. hyper has one knob for both (its header-read timer starts when it starts
//! waiting for a head, idle or not), so this timer tells them apart by watching the
//! socket: while no byte of the next head has arrived the idle deadline applies;
//! the first byte starts the header deadline.
//!
//! The first head on a connection always gets the header deadline from accept: a
//! client that connects and says nothing is a slowloris, not an idle keep-alive.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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
    /// A socket that counts the reads that brought bytes, for [`HeadTimer`].
    pub struct CountingIo<T> {
        #[pin]
        inner: T,
        reads: ReadCount,
    }
}

impl<T> CountingIo<T> {
    pub fn new(inner: T, reads: ReadCount) -> Self {
        CountingIo { inner, reads }
    }
}

impl<T: AsyncRead> AsyncRead for CountingIo<T> {
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

impl<T: AsyncWrite> AsyncWrite for CountingIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}
