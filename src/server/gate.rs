//! What the server adds around the router for every request:
//!
//! - RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without a Host
//!   field, to any request with more than one, and to one whose value is not a
//!   host and port (RFC 3986 §3.2.2: `a/b@c d` is not). hyper leaves that to the
//!   application; the rule is the server's, not the site service's (a library
//!   user's in-process test request need not carry a Host).
//! - `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7): 204 with Allow.
//! - While draining (after SIGTERM, during `--drain-delay`), every response says
//!   `Connection: close`, so kept-alive clients reconnect, to another replica.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use http::header::{ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
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
        (Some(host), None) => is_host_and_port(host.as_bytes()),
        (None, _) => request.version() < Version::HTTP_11,
        (Some(_), Some(_)) => false,
    }
}

/// The bytes a reg-name or IPv4 address may hold: unreserved, `%` of
/// pct-encoded, sub-delims (RFC 3986 §3.2.2).
const HOST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        b += 1;
    }
    table
};

/// `uri-host [":" port]` (RFC 9110 §7.2, RFC 3986 §3.2.2): a bracketed IP
/// literal, or a reg-name or IPv4 address, then optional digits after a colon.
/// No user info, path or white space. Empty is allowed (a target without an
/// authority). Out of line: inlined, it grew hyper's dispatch loop around it.
#[inline(never)]
fn is_host_and_port(value: &[u8]) -> bool {
    // One pass for the common case, a name and maybe a port.
    for (i, &b) in value.iter().enumerate() {
        if HOST_BYTES[usize::from(b)] {
            continue;
        }
        return match b {
            b':' => value[i + 1..].iter().all(u8::is_ascii_digit),
            b'[' if i == 0 => is_ip_literal_and_port(value),
            _ => false,
        };
    }
    true
}

/// `[v6 or future literal]` then an optional `:port`.
fn is_ip_literal_and_port(value: &[u8]) -> bool {
    let Some(end) = value.iter().position(|&b| b == b']') else {
        return false;
    };
    let literal = &value[1..end];
    let literal_ok = !literal.is_empty()
        && literal
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b':' || b == b'.');
    let port_ok = match value[end + 1..].split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    literal_ok && port_ok
}

impl<S, B> tower_service::Service<Request<B>> for Gate<S>
where
    S: tower_service::Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !host_is_valid(&request) {
            return GateFuture::Answered {
                response: Some(bad_request()),
            };
        }
        if request.method() == Method::OPTIONS && request.uri() == "*" {
            return GateFuture::Answered {
                response: Some(server_options()),
            };
        }
        GateFuture::Inner {
            future: self.0.call(request),
        }
    }
}

/// `OPTIONS *`: what every resource of this server allows.
#[cold]
#[inline(never)]
fn server_options() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD, OPTIONS"));
    response
}

#[cold]
#[inline(never)]
fn bad_request() -> Response<Body> {
    const TEXT: &str = "400 Bad Request: one Host header field, a host and port, is required\n";
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
    #[project = GateFutureProj]
    pub enum GateFuture<F> {
        /// The request went on to the router.
        Inner { #[pin] future: F },
        /// Answered here (400 for its Host, `OPTIONS *`).
        Answered { response: Option<Response<Body>> },
    }
}

impl<F, E> Future for GateFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateFutureProj::Inner { future } => {
                let mut response = std::task::ready!(future.poll(cx))?;
                if DRAINING.load(Ordering::Relaxed) {
                    let close = HeaderValue::from_static("close");
                    response.headers_mut().insert(CONNECTION, close);
                }
                Poll::Ready(Ok(response))
            }
            GateFutureProj::Answered { response } => {
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
        for good in [
            "example.com",
            "example.com:8080",
            "127.0.0.1:80",
            "[::1]:8080",
            "[2001:db8::7]",
            "",
            "a.b-c_d~e",
            "xn--bcher-kva.example",
        ] {
            assert!(
                host_is_valid(&request(Version::HTTP_11, &[good])),
                "{good:?}"
            );
        }
        for bad in [
            "a/b@c d",
            "user@example.com",
            "a b",
            "example.com:80x",
            "[::1",
            "[]",
            "a/b",
            "a?b",
            "a#b",
            "[::1]x",
        ] {
            assert!(
                !host_is_valid(&request(Version::HTTP_11, &[bad])),
                "{bad:?}"
            );
        }
    }
}
