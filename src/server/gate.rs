//! What the server adds around the router for every request:
//!
//! - RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without a Host
//!   field, and to any request with more than one. hyper leaves that to the
//!   application; the rule is the server's, not the site service's (a library
//!   user's in-process test request need not carry a Host).
//! - While draining (after SIGTERM, during `--drain-delay`), every response says
//!   `Connection: close`, so kept-alive clients reconnect, to another replica.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use http::header::{CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderValue, Request, Response, StatusCode, Version};
use pin_project_lite::pin_project;

/// `inner`, behind the Host rule and the drain.
#[derive(Clone)]
pub struct Gate<S>(pub S);

/// Set when the server starts draining.
pub static DRAINING: AtomicBool = AtomicBool::new(false);

/// Whether a request's Host fields are as RFC 9112 §3.2 requires.
pub fn host_is_valid<B>(request: &Request<B>) -> bool {
    let mut hosts = request.headers().get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), None) => true,
        (None, _) => request.version() < Version::HTTP_11,
        (Some(_), Some(_)) => false,
    }
}

impl<S, B> tower_service::Service<Request<B>> for Gate<S>
where
    S: tower_service::Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = HostFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if host_is_valid(&request) {
            HostFuture::Inner {
                future: self.0.call(request),
            }
        } else {
            HostFuture::Rejected {
                response: Some(bad_request()),
            }
        }
    }
}

fn bad_request() -> Response<Body> {
    const TEXT: &str = "400 Bad Request: one Host header field is required\n";
    let mut response = Response::new(Body::from(TEXT));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(TEXT.len()));
    response
}

pin_project! {
    /// The response future of [`Gate`].
    #[project = HostFutureProj]
    pub enum HostFuture<F> {
        /// The request went on to the router.
        Inner { #[pin] future: F },
        /// Answered 400 here.
        Rejected { response: Option<Response<Body>> },
    }
}

impl<F, E> Future for HostFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HostFutureProj::Inner { future } => {
                let mut response = std::task::ready!(future.poll(cx))?;
                if DRAINING.load(Ordering::Relaxed) {
                    let close = HeaderValue::from_static("close");
                    response.headers_mut().insert(CONNECTION, close);
                }
                Poll::Ready(Ok(response))
            }
            HostFutureProj::Rejected { response } => {
                Poll::Ready(Ok(response.take().expect("polled after completion")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, hosts: &[&str]) -> Request<()> {
        let mut builder = Request::get("/").version(version);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn host_rules() {
        assert!(host_is_valid(&request(Version::HTTP_11, &["a"])));
        assert!(!host_is_valid(&request(Version::HTTP_11, &[])));
        assert!(!host_is_valid(&request(Version::HTTP_11, &["a", "b"])));
        assert!(!host_is_valid(&request(Version::HTTP_11, &["a", "a"])));
        assert!(host_is_valid(&request(Version::HTTP_10, &[])));
        assert!(host_is_valid(&request(Version::HTTP_10, &["a"])));
        assert!(!host_is_valid(&request(Version::HTTP_10, &["a", "b"])));
    }
}
