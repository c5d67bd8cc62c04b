//! A request + the site -> a response, from precomputed header values.

use std::fs::File;
use std::net::IpAddr;
use std::time::Instant;

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, ACCEPT_RANGES, ALLOW, CACHE_CONTROL,
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, LOCATION,
    RANGE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};

use super::body::Body;
use super::conditional::{self, Outcome};
use super::path::{self, SafePath};
use super::{encoding, range};
use crate::server::log::AccessRecord;
use crate::site::{Content, Node, Resource, Site};

/// The request handler: the site plus the response policy from the config.
pub struct Responder {
    site: Site,
    /// Serve /index.html for unknown extension-less paths.
    spa: bool,
    access_log: bool,
    /// Sent on every response: `X-Content-Type-Options: nosniff` and the
    /// configured extra headers.
    common_headers: Vec<(HeaderName, HeaderValue)>,
}

const PLAIN_TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

impl Responder {
    pub fn new(
        site: Site,
        spa: bool,
        access_log: bool,
        extra: Vec<(HeaderName, HeaderValue)>,
    ) -> Self {
        let mut common_headers =
            vec![(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))];
        common_headers.extend(extra);
        Responder {
            site,
            spa,
            access_log,
            common_headers,
        }
    }

    pub fn respond<B>(&self, request: &Request<B>, peer: IpAddr) -> Response<Body> {
        let started = self.access_log.then(Instant::now);
        let mut response = self.route(request);
        let headers = response.headers_mut();
        for (name, value) in &self.common_headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(started) = started {
            let record = AccessRecord::new(started, peer, request, response.status());
            response.body_mut().set_log(record);
        }
        response
    }

    fn route<B>(&self, request: &Request<B>) -> Response<Body> {
        let head = match *request.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => return method_not_allowed(),
        };
        let SafePath {
            key,
            trailing_slash,
        } = match path::resolve(request.uri().path()) {
            Ok(safe) => safe,
            Err(_) => return plain(StatusCode::BAD_REQUEST, head),
        };
        let headers = request.headers();
        match (self.site.get(&key), trailing_slash) {
            (Some(Node::File(resource)), false) => serve(resource, headers, head),
            (Some(Node::Dir { index: Some(index) }), true) => serve(index, headers, head),
            (Some(Node::Dir { .. }), false) => redirect_to_dir(&key, request.uri().query()),
            _ if self.spa && looks_like_route(&key) => match self.site.get("") {
                Some(Node::Dir { index: Some(index) }) => serve(index, headers, head),
                _ => self.not_found(head),
            },
            _ => self.not_found(head),
        }
    }

    /// 404, with ROOT/404.html as the body when there is one.
    fn not_found(&self, head: bool) -> Response<Body> {
        let Some(page) = &self.site.not_found else {
            return plain(StatusCode::NOT_FOUND, head);
        };
        let variant = page.identity();
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(CONTENT_TYPE, page.content_type.clone());
        headers.insert(CACHE_CONTROL, NO_CACHE);
        headers.insert(CONTENT_LENGTH, variant.content_length.clone());
        let Some(body) = content_body(&variant.content, 0, variant.len, head) else {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, false);
        };
        response(StatusCode::NOT_FOUND, headers, body)
    }
}

/// GET/HEAD of a resource: pick the coding, evaluate preconditions, apply Range.
fn serve(resource: &Resource, request_headers: &HeaderMap, head: bool) -> Response<Body> {
    let chosen = encoding::choose(request_headers.get(ACCEPT_ENCODING), &resource.encodings);
    let variant = &resource.variants[chosen];
    let modified = resource.last_modified.as_ref().map(|m| m.time);

    // Validators and caching headers, which 200, 206 and 304 all carry.
    let mut headers = HeaderMap::with_capacity(12);
    headers.insert(ETAG, variant.etag.clone());
    headers.insert(CACHE_CONTROL, resource.cache_control.clone());
    if let Some(last_modified) = &resource.last_modified {
        headers.insert(LAST_MODIFIED, last_modified.header.clone());
    }
    if resource.variants.len() > 1 {
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }

    match conditional::evaluate(request_headers, variant.etag.as_bytes(), modified) {
        Outcome::Proceed => {}
        Outcome::NotModified => return response(StatusCode::NOT_MODIFIED, headers, Body::empty()),
        Outcome::Failed => return plain(StatusCode::PRECONDITION_FAILED, head),
    }

    headers.insert(CONTENT_TYPE, resource.content_type.clone());
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(coding) = variant.encoding.header_value() {
        headers.insert(CONTENT_ENCODING, coding);
    }

    let ranged = match request_headers.get(RANGE) {
        Some(value)
            if conditional::if_range_allows(request_headers, variant.etag.as_bytes(), modified) =>
        {
            range::parse(value.as_bytes(), variant.len)
        }
        _ => range::Ranged::Full,
    };
    let (status, start, len) = match ranged {
        range::Ranged::Full => {
            headers.insert(CONTENT_LENGTH, variant.content_length.clone());
            (StatusCode::OK, 0, variant.len)
        }
        range::Ranged::Partial { start, end } => {
            let content_range = format!("bytes {start}-{end}/{}", variant.len);
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::try_from(content_range).expect("digits"),
            );
            headers.insert(CONTENT_LENGTH, HeaderValue::from(end - start + 1));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        range::Ranged::Unsatisfiable => {
            let mut headers = HeaderMap::with_capacity(8);
            let content_range = format!("bytes */{}", variant.len);
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::try_from(content_range).expect("digits"),
            );
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            return response(StatusCode::RANGE_NOT_SATISFIABLE, headers, Body::empty());
        }
    };
    let Some(body) = content_body(&variant.content, start, len, head) else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, false);
    };
    response(status, headers, body)
}

/// The body for `len` bytes from `start`: nothing for HEAD, a slice of memory, or
/// the file opened now. `None` (logged) when a file checked at load can no longer
/// be opened.
fn content_body(content: &Content, start: u64, len: u64, head: bool) -> Option<Body> {
    if head {
        return Some(Body::empty());
    }
    match content {
        Content::Memory(bytes) => {
            let start = start as usize;
            Some(Body::bytes(bytes.slice(start..start + len as usize)))
        }
        Content::Disk(path) => match File::open(path) {
            Ok(file) => Some(Body::file(file, start, len)),
            Err(e) => {
                eprintln!("mote: cannot open {}: {e}", path.display());
                None
            }
        },
    }
}

/// `/dir` -> 308 `/dir/`, keeping the query. The location is rebuilt from the
/// checked key, not echoed from the request.
fn redirect_to_dir(key: &str, query: Option<&str>) -> Response<Body> {
    let mut location = String::with_capacity(key.len() + 3 + query.map_or(0, str::len));
    location.push('/');
    location.push_str(&path::encode(key));
    location.push('/');
    if let Some(query) = query {
        location.push('?');
        location.push_str(query);
    }
    let mut headers = HeaderMap::with_capacity(4);
    match HeaderValue::try_from(location) {
        Ok(value) => headers.insert(LOCATION, value),
        Err(_) => return plain(StatusCode::BAD_REQUEST, false),
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    response(StatusCode::PERMANENT_REDIRECT, headers, Body::empty())
}

fn method_not_allowed() -> Response<Body> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, false);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// A short text body naming the status, e.g. `404 Not Found`.
fn plain(status: StatusCode, head: bool) -> Response<Body> {
    let text: &'static str = match status {
        StatusCode::BAD_REQUEST => "400 Bad Request\n",
        StatusCode::NOT_FOUND => "404 Not Found\n",
        StatusCode::METHOD_NOT_ALLOWED => "405 Method Not Allowed\n",
        StatusCode::PRECONDITION_FAILED => "412 Precondition Failed\n",
        _ => "500 Internal Server Error\n",
    };
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(CONTENT_TYPE, PLAIN_TEXT);
    headers.insert(CACHE_CONTROL, NO_CACHE);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    let body = if head {
        Body::empty()
    } else {
        Body::bytes(Bytes::from_static(text.as_bytes()))
    };
    response(status, headers, body)
}

fn response(status: StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// SPA routes look like `/settings/profile`; `/app.js` is a missing file.
fn looks_like_route(key: &str) -> bool {
    !key.rsplit('/').next().unwrap_or(key).contains('.')
}
