//! The response body: a slice of a loaded file (a reference count, no copy) or
//! nothing. Files above the preload limit are mapped at load (site/mapped.rs), so
//! every body is bytes already in memory or the page cache: no read per request.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// Bodies are sent in frames of at most this size, and the connection yields to
/// the others between frames: without it, one client reading a large file as fast
/// as loopback allows holds the worker for the whole file, and the latency tail of
/// every other connection grows with the file size. 1 MiB keeps the tail below
/// nginx's at no cost in throughput (bench/TUNING.md has the figures).
const FRAME: usize = 1024 * 1024;

/// A response body of mote's.
pub struct Body {
    /// What is left to send.
    rest: Bytes,
    /// Yield before the next frame.
    yield_next: bool,
}

impl Body {
    /// No bytes: HEAD, 304, redirects.
    pub fn empty() -> Body {
        Body::bytes(Bytes::new())
    }

    /// These bytes (a slice of a loaded file shares its allocation or mapping).
    pub fn bytes(bytes: Bytes) -> Body {
        Body {
            rest: bytes,
            yield_next: false,
        }
    }

    /// Bytes this body still has to send.
    #[allow(clippy::len_without_is_empty)] // `http_body::Body::is_end_stream` is that
    pub fn len(&self) -> u64 {
        self.rest.len() as u64
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        if std::mem::take(&mut this.yield_next) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let frame = if this.rest.len() > FRAME {
            this.yield_next = true;
            this.rest.split_to(FRAME)
        } else {
            std::mem::take(&mut this.rest)
        };
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len())
    }
}
