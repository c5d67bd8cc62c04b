//! The tower layer: a request's access-log line, recorded when its response body
//! is done, and its count in [`metrics`].

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{ready, Context, Poll};
use std::time::{Instant, SystemTime};

use bytes::Buf;
use http::header::{HeaderName, CONTENT_ENCODING, REFERER, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;

use super::format::Entry;
use super::sink::{self, LogFormat};
use crate::server::metrics;

/// A tower service that counts each response of `inner` in [`metrics`]
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
        let json = sink::format() == Some(LogFormat::Json);
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
        let micros = self.record.started.elapsed().as_micros();
        let record = &self.record;
        sink::record(|line, format| {
            let entry = Entry {
                client: record.client,
                method: record.method.as_str(),
                path: record.uri.path(),
                query: record.uri.query().is_some(),
                status: self.status.as_u16(),
                sent: self.sent,
                micros,
                user_agent: record.user_agent.as_ref().map(HeaderValue::as_bytes),
                referer: record.referer.as_ref().map(HeaderValue::as_bytes),
                forwarded_for: record.forwarded_for.as_ref().map(HeaderValue::as_bytes),
            };
            let now = SystemTime::now();
            match format {
                LogFormat::Text => entry.text(line, now),
                LogFormat::Json => entry.json(line, now),
            }
        });
    }
}
