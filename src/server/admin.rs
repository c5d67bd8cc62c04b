//! The admin listener (`--admin`): liveness, readiness and metrics for
//! orchestrators, on a port of its own that never serves the site. Its requests
//! are neither logged nor counted.
//!
//! - `GET /livez`: 200 while the process runs.
//! - `GET /readyz`: 200 once the site is loaded and the listener is up, until
//!   shutdown begins (a signal), then 503: the load balancer stops sending new
//!   requests while in-flight ones finish.
//! - `GET /metrics`: Prometheus text format 0.0.4 (see [`super::metrics`]).

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::{log, metrics};

/// Whether `/readyz` says 200.
pub static READY: AtomicBool = AtomicBool::new(false);

/// The admin endpoints as a tower service.
#[derive(Clone, Copy)]
pub struct Admin;

impl<B> tower_service::Service<Request<B>> for Admin {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(answer(&request)))
    }
}

fn answer<B>(request: &Request<B>) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "GET or HEAD\n".into(),
            "text/plain; charset=utf-8",
        );
    }
    match request.uri().path() {
        "/livez" => text(StatusCode::OK, "ok\n".into(), "text/plain; charset=utf-8"),
        "/readyz" if READY.load(Ordering::Relaxed) => text(
            StatusCode::OK,
            "ready\n".into(),
            "text/plain; charset=utf-8",
        ),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready (starting or shutting down)\n".into(),
            "text/plain; charset=utf-8",
        ),
        "/metrics" => {
            let dropped = log::counters().map_or(0, |c| c.dropped_lines.load(Ordering::Relaxed));
            text(
                StatusCode::OK,
                metrics::get().render(dropped),
                "text/plain; version=0.0.4; charset=utf-8",
            )
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "the admin listener answers /livez, /readyz and /metrics\n".into(),
            "text/plain; charset=utf-8",
        ),
    }
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
