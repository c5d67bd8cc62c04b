//! The response body: a slice of a preloaded file (no copy), nothing, or a byte
//! range streamed from disk for files above the preload limit.

use std::fs::File;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::task::JoinHandle;

/// Bytes read from disk per frame when streaming.
const CHUNK: u64 = 128 * 1024;

/// In-memory bodies are sent in frames of at most this size, and the connection
/// yields to the others between frames: without it, one client reading a large
/// file as fast as loopback allows holds the worker for the whole file, and the
/// latency tail of every other connection grows with the file size.
const FRAME: usize = 256 * 1024;

/// A response body of mote's: bytes in memory, or a byte range of a file.
pub struct Body {
    kind: Kind,
}

enum Kind {
    /// What is left to send, and whether to yield before the next frame.
    Memory {
        rest: Bytes,
        yield_next: bool,
    },
    File(FileStream),
}

impl Body {
    /// No bytes: HEAD, 304, redirects.
    pub fn empty() -> Body {
        Body::bytes(Bytes::new())
    }

    /// Bytes in memory (a slice of a preloaded file shares its allocation).
    pub fn bytes(bytes: Bytes) -> Body {
        Body {
            kind: Kind::Memory {
                rest: bytes,
                yield_next: false,
            },
        }
    }

    /// `len` bytes of `file` from `offset`.
    pub fn file(file: File, offset: u64, len: u64) -> Body {
        Body {
            kind: Kind::File(FileStream {
                file: Arc::new(file),
                offset,
                remaining: len,
                pending: None,
            }),
        }
    }

    /// Bytes this body still has to send.
    #[allow(clippy::len_without_is_empty)] // `http_body::Body::is_end_stream` is that
    pub fn len(&self) -> u64 {
        match &self.kind {
            Kind::Memory { rest, .. } => rest.len() as u64,
            Kind::File(stream) => stream.remaining,
        }
    }
}

struct FileStream {
    file: Arc<File>,
    offset: u64,
    remaining: u64,
    pending: Option<JoinHandle<io::Result<Vec<u8>>>>,
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        match &mut self.get_mut().kind {
            Kind::Memory { rest, yield_next } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                if std::mem::take(yield_next) {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                let frame = if rest.len() > FRAME {
                    *yield_next = true;
                    rest.split_to(FRAME)
                } else {
                    std::mem::take(rest)
                };
                Poll::Ready(Some(Ok(Frame::data(frame))))
            }
            Kind::File(stream) => stream.poll_chunk(cx).map(|r| r.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Memory { rest, .. } => rest.is_empty(),
            Kind::File(stream) => stream.remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len())
    }
}

impl FileStream {
    /// Reads the next chunk on the blocking pool (disk reads must not stall a
    /// worker that serves other connections from memory).
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let handle = self.pending.get_or_insert_with(|| {
            let (file, offset, len) = (self.file.clone(), self.offset, self.remaining.min(CHUNK));
            tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; len as usize];
                file.read_exact_at(&mut buf, offset)?;
                Ok(buf)
            })
        });
        let result = ready!(Pin::new(handle).poll(cx));
        self.pending = None;
        let chunk = match result {
            Ok(Ok(chunk)) => chunk,
            Ok(Err(e)) => return Poll::Ready(Some(Err(e))),
            Err(e) => return Poll::Ready(Some(Err(io::Error::other(e)))),
        };
        self.offset += chunk.len() as u64;
        self.remaining -= chunk.len() as u64;
        Poll::Ready(Some(Ok(Bytes::from(chunk))))
    }
}
