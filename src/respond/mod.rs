//! HTTP semantics over a loaded [`Site`]: a request -> a response built from the
//! values the loader precomputed. One concern per module, as tower-http's
//! `services/fs`: the pure parts ([`path`], [`negotiate`], [`conditional`],
//! [`range`]) have table-driven unit tests, and this module puts them together
//! behind [`SiteService`], the tower service an axum application mounts.

pub mod body;
pub mod conditional;
mod head;
pub mod negotiate;
pub mod path;
pub mod range;
pub mod rules;

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ACCEPT, ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING,
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, LOCATION, RANGE, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};

use crate::site::rules::{rule_path, PathRules};
use crate::site::{Node, Resource, Site};
use body::Body;
use conditional::{Asked, Outcome};
use head::{Fields, Heads};
use path::SafePath;

/// The response layer's slice of the configuration.
#[derive(Debug, Clone, Default)]
pub struct ResponseOptions {
    /// A file of the site (a key: `index.html`) served with 200 for a GET or HEAD
    /// that matches nothing and accepts `text/html`: a browser navigating to a
    /// client-side route of a single-page app. Asset requests still get 404.
    pub fallback: Option<String>,
    /// Sent on every response, after `X-Content-Type-Options: nosniff`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// A loaded site as a cheap, `Clone` [`tower_service::Service`] for any request
/// body: mount it in an axum app with `Router::fallback_service` or
/// `Router::nest_service`.
///
/// Paths are matched as the service sees them, so under `nest_service("/assets", ..)`
/// the request `/assets/app.js` serves `ROOT/app.js`; the one redirect it makes
/// (`/dir` to `/dir/`) is a relative reference (`./dir/`), which keeps whatever
/// prefix the app mounted it under. The service never fails (`Infallible`): every
/// outcome is an HTTP response.
#[derive(Clone)]
pub struct SiteService {
    inner: Arc<Responder>,
}

impl SiteService {
    /// Serves `site` with `options`.
    pub fn new(site: Site, options: ResponseOptions) -> Self {
        // A configured header replaces one of the same name that mote would send
        // (the first of its name; further ones of that name add to it, as two -H
        // 'Link: ...' do).
        let mut common_headers = vec![CommonHeader {
            name: X_CONTENT_TYPE_OPTIONS,
            value: HeaderValue::from_static("nosniff"),
            replace: true,
        }];
        let mut configured: Vec<HeaderName> = Vec::new();
        for (name, value) in options.headers {
            let replace = !configured.contains(&name);
            if replace {
                configured.push(name.clone());
                common_headers.retain(|h| h.name != name);
            }
            common_headers.push(CommonHeader {
                name,
                value,
                replace,
            });
        }
        SiteService {
            inner: Arc::new(Responder {
                heads: Heads::new(site.rule_sets()),
                site,
                fallback: options.fallback,
                common_headers,
            }),
        }
    }

    /// The site being served (its start-up statistics, for example).
    pub fn site(&self) -> &Site {
        &self.inner.site
    }

    /// The response to `request`, computed in place (what [`tower_service::Service::call`] returns).
    pub fn respond<B>(&self, request: &Request<B>) -> Response<Body> {
        self.inner.respond(request)
    }
}

impl<B> tower_service::Service<Request<B>> for SiteService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.inner.respond(&request)))
    }
}

/// The site plus the response policy.
struct Responder {
    site: Site,
    fallback: Option<String>,
    /// `X-Content-Type-Options: nosniff` and the configured extra headers.
    common_headers: Vec<CommonHeader>,
    /// The fields of 200 responses to files, per rule set and shape.
    heads: Heads,
}

/// A response as it was decided, and what is left to add to its fields: the one
/// value that goes from the deciding ([`Responder::route`], [`Responder::serve`])
/// to the answering ([`Responder::respond`]).
enum Answer<'a> {
    /// Complete: a file's 200, its fields from a template ([`head`]).
    Complete(Response<Body>),
    /// mote's own fields only: the configured ones go on, then the `_headers`
    /// edits of the path's rules, where the status takes them.
    Bare(Response<Body>, Option<Cow<'a, PathRules>>),
}

impl<'a> Answer<'a> {
    /// A response with mote's own fields and no path rules.
    fn bare(response: Response<Body>) -> Answer<'a> {
        Answer::Bare(response, None)
    }

    /// The answer with `rules` where it has none (the router knows the path's
    /// rules; what serves a file does not).
    fn with_rules(self, rules: Cow<'a, PathRules>) -> Answer<'a> {
        match self {
            Answer::Bare(response, None) => Answer::Bare(response, Some(rules)),
            answer => answer,
        }
    }

    /// The response as decided, for a caller that adds nothing (a rewrite's or
    /// the fallback's file, served bare).
    fn into_response(self) -> Response<Body> {
        match self {
            Answer::Complete(response) | Answer::Bare(response, _) => response,
        }
    }
}

/// What a request's path has of the site's rules (`'s`: the site's, `'r`: the
/// request's).
struct PathFacts<'s, 'r> {
    /// The `_headers` rules of the path.
    rules: Cow<'s, PathRules>,
    /// The decoded path `_redirects` matches (`/` when there are no redirects).
    redirect_path: Cow<'r, str>,
}

/// A header sent on every response.
struct CommonHeader {
    name: HeaderName,
    value: HeaderValue,
    /// Replace what the response has of this name (else add to it).
    replace: bool,
}

/// The rules of a path no rule matches.
static NO_RULES: PathRules = PathRules::NONE;

const PLAIN_TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

impl Responder {
    fn respond<B>(&self, request: &Request<B>) -> Response<Body> {
        match self.route(request) {
            Answer::Complete(response) => response,
            Answer::Bare(mut response, rules) => {
                let status = response.status();
                self.finish(response.headers_mut(), status, rules.as_deref());
                response
            }
        }
    }

    /// Adds the configured fields, then the path's `_headers` edits where the
    /// formats give them to the status.
    fn finish(&self, headers: &mut HeaderMap, status: StatusCode, rules: Option<&PathRules>) {
        for header in &self.common_headers {
            if header.replace {
                headers.insert(header.name.clone(), header.value.clone());
            } else {
                headers.append(header.name.clone(), header.value.clone());
            }
        }
        if let Some(rules) = rules {
            if matches!(status.as_u16(), 200 | 204 | 206 | 304 | 404) {
                rules::apply_headers(rules, headers);
            }
        }
    }

    /// The answer to a request: its method and path checked, its rules looked up,
    /// then what answers it (a forced redirect, the file or directory, an
    /// unforced redirect, the fallback or a 404).
    fn route<'s, B>(&'s self, request: &Request<B>) -> Answer<'s> {
        let (head_only, preflight) = match *request.method() {
            Method::GET => (false, false),
            Method::HEAD => (true, false),
            Method::OPTIONS => (false, true),
            _ => return Answer::bare(method_not_allowed()),
        };
        let Ok(SafePath {
            key,
            trailing_slash,
        }) = path::resolve(request.uri().path())
        else {
            return Answer::bare(plain(StatusCode::BAD_REQUEST, head_only));
        };
        let found = self.site.get_with_rules(&key);
        // A file's or directory's own path had its rules worked out at load.
        let own = match found {
            Some((Node::File(_), rules, id)) if !trailing_slash => Some((id, rules)),
            Some((Node::Dir { .. }, rules, id)) if trailing_slash => Some((id, rules)),
            _ => None,
        };
        let facts = self.path_facts(request.uri().path(), &key, trailing_slash, own);
        let headers = request.headers();
        if !self.admitted(&facts.rules, headers) {
            return Answer::bare(unauthorized(head_only));
        }
        if preflight {
            // A CORS preflight gets the path's `_headers` (Access-Control-*).
            let mut response = empty(StatusCode::NO_CONTENT);
            response.headers_mut().insert(ALLOW, ALLOWED);
            return Answer::Bare(response, Some(facts.rules));
        }
        let query = request.uri().query();
        let redirect =
            |forced| self.redirect_rule(&facts.redirect_path, query, forced, headers, head_only);
        let answer = match redirect(true) {
            Some(forced) => Answer::bare(forced),
            None => match (found.map(|(node, _, _)| node), trailing_slash) {
                (Some(Node::File(resource)), false) => {
                    self.serve(resource, headers, head_only, own)
                }
                (Some(Node::Dir { index: Some(index) }), true) => {
                    self.serve(index, headers, head_only, own)
                }
                (Some(Node::Dir { .. }), false) => Answer::bare(redirect_to_dir(&key, query)),
                _ => Answer::bare(match redirect(false) {
                    Some(redirected) => redirected,
                    None => self.fallback(&key, headers, head_only),
                }),
            },
        };
        answer.with_rules(facts.rules)
    }

    /// The `_headers` rules of a request's path (its node's, worked out at load,
    /// else matched now) and the path `_redirects` matches: the decoded path
    /// (`/docs/a.html`, `/docs/`, `/`), which is the request's own, borrowed,
    /// where nothing was decoded or folded.
    fn path_facts<'s, 'r>(
        &'s self,
        raw: &'r str,
        key: &Cow<'r, str>,
        trailing_slash: bool,
        own: Option<(usize, &'s PathRules)>,
    ) -> PathFacts<'s, 'r> {
        let site = &self.site;
        let own_rules = own.map(|(_, rules)| rules);
        let needs_path =
            !site.redirects.is_empty() || (own_rules.is_none() && !site.header_rules.is_empty());
        let path: Cow<'r, str> = match (needs_path, key) {
            (false, _) => Cow::Borrowed("/"),
            (true, Cow::Borrowed(_)) => Cow::Borrowed(raw),
            (true, Cow::Owned(key)) => Cow::Owned(rule_path(key, trailing_slash)),
        };
        let rules = match own_rules {
            Some(rules) => Cow::Borrowed(rules),
            None if needs_path && !site.header_rules.is_empty() => {
                Cow::Owned(PathRules::for_path(&site.header_rules, &path))
            }
            None => Cow::Borrowed(&NO_RULES),
        };
        PathFacts {
            rules,
            redirect_path: path,
        }
    }

    /// What a `_redirects` rule makes of the path, if one matches.
    fn redirect_rule(
        &self,
        path: &str,
        query: Option<&str>,
        forced: bool,
        headers: &HeaderMap,
        head_only: bool,
    ) -> Option<Response<Body>> {
        if self.site.redirects.is_empty() {
            return None;
        }
        match rules::first_redirect(&self.site.redirects, path, query, forced) {
            rules::RedirectRule::None => None,
            rules::RedirectRule::Redirect(status, location) => {
                let mut response = empty(status);
                response.headers_mut().insert(LOCATION, location);
                Some(response)
            }
            rules::RedirectRule::Rewrite(target, status) => Some(match path::resolve(&target) {
                // The file served must admit the request as if asked for by name.
                Ok(safe) => {
                    let resource = match (self.site.get_with_rules(&safe.key), safe.trailing_slash)
                    {
                        (Some((_, rules, _)), _) if !self.admitted(rules, headers) => {
                            return Some(unauthorized(head_only));
                        }
                        (Some((Node::File(resource), _, _)), false) => Some(resource),
                        (Some((Node::Dir { index: Some(index) }, _, _)), _) => Some(index),
                        _ => None,
                    };
                    match resource {
                        Some(resource) if status == StatusCode::OK => self
                            .serve(resource, headers, head_only, None)
                            .into_response(),
                        Some(resource) => error_page(status, resource, head_only),
                        None => self.not_found(&safe.key, head_only),
                    }
                }
                Err(_) => self.not_found("", head_only),
            }),
        }
    }

    /// `--fallback`: the file for a browser navigating to a path that is not
    /// there (its Accept names text/html); 404 for anything else.
    fn fallback(&self, key: &str, headers: &HeaderMap, head_only: bool) -> Response<Body> {
        let navigating = headers.get_all(ACCEPT).iter().any(|value| {
            value
                .as_bytes()
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"text/html"))
        });
        match (&self.fallback, navigating) {
            (Some(key), true) => match self.site.get_with_rules(key) {
                Some((_, rules, _)) if !self.admitted(rules, headers) => unauthorized(head_only),
                Some((Node::File(resource), _, _)) => self
                    .serve(resource, headers, head_only, None)
                    .into_response(),
                _ => self.not_found(key, head_only),
            },
            _ => self.not_found(key, head_only),
        }
    }

    /// Whether the request satisfies every `Basic-Auth` rule guarding a path.
    #[inline]
    fn admitted(&self, rules: &PathRules, headers: &HeaderMap) -> bool {
        rules.guards.is_empty()
            || rules
                .guards
                .iter()
                .all(|&guard| rules::authorized(&self.site.header_rules[guard], headers))
    }

    /// 404 for a miss at `key`, with the nearest `404.html` as the body.
    fn not_found(&self, key: &str, head_only: bool) -> Response<Body> {
        match self.site.not_found_page(key) {
            Some(page) => error_page(StatusCode::NOT_FOUND, page, head_only),
            None => plain(StatusCode::NOT_FOUND, head_only),
        }
    }

    /// GET/HEAD of a resource: pick the coding, evaluate preconditions, apply
    /// Range. `own`: the resource is the one at the request's path, with the
    /// number and the rules of that path's rule set; its 200 responses then take
    /// their fields complete from a template (the `bool` returned says so).
    fn serve(
        &self,
        resource: &Resource,
        request_headers: &HeaderMap,
        head_only: bool,
        own: Option<(usize, &PathRules)>,
    ) -> Answer<'static> {
        let chosen = negotiate::choose(request_headers, &resource.encodings);
        let variant = &resource.variants[chosen];
        let modified = resource.last_modified.as_ref().map(|m| m.time);
        let fields = Fields {
            etag: &variant.etag,
            cache_control: &resource.cache_control,
            last_modified: resource.last_modified.as_ref().map(|m| &m.header),
            vary: resource.variants.len() > 1,
            content_type: &resource.content_type,
            content_encoding: variant.encoding.header_value(),
            content_length: &variant.content_length,
        };

        let asked = Asked::scan(request_headers);
        let outcome = match asked.preconditions {
            true => conditional::evaluate(request_headers, variant.etag.as_bytes(), modified),
            false => Outcome::Proceed,
        };
        match outcome {
            Outcome::Proceed => {}
            Outcome::NotModified => {
                let headers = validator_headers(&fields);
                return Answer::bare(response(StatusCode::NOT_MODIFIED, headers, Body::empty()));
            }
            Outcome::Failed => {
                return Answer::bare(plain(StatusCode::PRECONDITION_FAILED, head_only))
            }
        }

        let range = asked.range.then(|| request_headers.get(RANGE)).flatten();
        let ranged = match range {
            Some(value)
                if conditional::if_range_allows(
                    request_headers,
                    variant.etag.as_bytes(),
                    modified,
                ) =>
            {
                range::parse(value.as_bytes(), variant.len)
            }
            _ => range::Ranged::Full,
        };
        match ranged {
            range::Ranged::Full => {
                let body = content_body(&variant.content, 0, variant.len, head_only);
                let complete = own.and_then(|(id, rules)| {
                    self.heads.fields(id, &fields, |fields| {
                        let mut headers = full_headers(fields);
                        self.finish(&mut headers, StatusCode::OK, Some(rules));
                        headers
                    })
                });
                match complete {
                    Some(headers) => Answer::Complete(response(StatusCode::OK, headers, body)),
                    None => Answer::bare(response(StatusCode::OK, full_headers(&fields), body)),
                }
            }
            range::Ranged::Partial { start, end } => {
                let body = content_body(&variant.content, start, end - start + 1, head_only);
                Answer::bare(partial(&fields, start, end, variant.len, body))
            }
            range::Ranged::Unsatisfiable => Answer::bare(unsatisfiable(variant.len)),
        }
    }
}

/// A file's content as the body of an error status (a 404 page, a `_redirects`
/// 404 or 410 rule): identity coding, never cached without revalidation, no
/// validators (a 304 or a range of an error makes no sense).
fn error_page(status: StatusCode, page: &Resource, head_only: bool) -> Response<Body> {
    let variant = page.identity();
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE, page.content_type.clone());
    headers.insert(CACHE_CONTROL, NO_CACHE);
    headers.insert(CONTENT_LENGTH, variant.content_length.clone());
    let body = content_body(&variant.content, 0, variant.len, head_only);
    response(status, headers, body)
}

/// 206 for bytes `start..=end` of `total`.
fn partial(fields: &Fields<'_>, start: u64, end: u64, total: u64, body: Body) -> Response<Body> {
    let mut headers = validator_headers(fields);
    content_headers(&mut headers, fields);
    let content_range = format!("bytes {start}-{end}/{total}");
    headers.insert(
        CONTENT_RANGE,
        HeaderValue::try_from(content_range).expect("digits"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(end - start + 1));
    response(StatusCode::PARTIAL_CONTENT, headers, body)
}

/// 416 for a file of `total` bytes.
fn unsatisfiable(total: u64) -> Response<Body> {
    let mut headers = HeaderMap::with_capacity(8);
    let content_range = format!("bytes */{total}");
    headers.insert(
        CONTENT_RANGE,
        HeaderValue::try_from(content_range).expect("digits"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    response(StatusCode::RANGE_NOT_SATISFIABLE, headers, Body::empty())
}

/// Validators and caching fields, which 200, 206 and 304 all carry.
fn validator_headers(fields: &Fields<'_>) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(12);
    headers.insert(ETAG, fields.etag.clone());
    headers.insert(CACHE_CONTROL, fields.cache_control.clone());
    if let Some(last_modified) = fields.last_modified {
        headers.insert(LAST_MODIFIED, last_modified.clone());
    }
    if fields.vary {
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    headers
}

/// What a response with content adds: its type, ranges, its coding.
fn content_headers(headers: &mut HeaderMap, fields: &Fields<'_>) {
    headers.insert(CONTENT_TYPE, fields.content_type.clone());
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(coding) = &fields.content_encoding {
        headers.insert(CONTENT_ENCODING, coding.clone());
    }
}

/// mote's own fields of a 200 response.
fn full_headers(fields: &Fields<'_>) -> HeaderMap {
    let mut headers = validator_headers(fields);
    content_headers(&mut headers, fields);
    headers.insert(CONTENT_LENGTH, fields.content_length.clone());
    headers
}

/// The body for `len` bytes from `start`: nothing for HEAD, else a slice of the
/// loaded content (a reference count, no copy).
fn content_body(content: &Bytes, start: u64, len: u64, head_only: bool) -> Body {
    if head_only {
        return Body::empty();
    }
    let start = start as usize;
    Body::bytes(content.slice(start..start + len as usize))
}

/// `/dir` -> 308 `./dir/`, keeping the query. A relative reference (RFC 9110
/// §10.2.2 allows one) resolves against the request's own path, so it keeps any
/// prefix the service is mounted under without knowing it; and it is rebuilt from
/// the checked key, never echoed from the request, so `//evil.example/x` cannot
/// become a redirect off-site.
fn redirect_to_dir(key: &str, query: Option<&str>) -> Response<Body> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let mut location = String::with_capacity(name.len() + 4 + query.map_or(0, str::len));
    location.push_str("./");
    location.push_str(&path::encode(name));
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

const ALLOWED: HeaderValue = HeaderValue::from_static("GET, HEAD, OPTIONS");

/// 401 with the Basic-Auth challenge.
fn unauthorized(head_only: bool) -> Response<Body> {
    let mut response = plain(StatusCode::UNAUTHORIZED, head_only);
    rules::challenge(response.headers_mut());
    response
}

fn method_not_allowed() -> Response<Body> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, false);
    response.headers_mut().insert(ALLOW, ALLOWED);
    response
}

/// A response with no body (204, a redirect).
fn empty(status: StatusCode) -> Response<Body> {
    let mut headers = HeaderMap::with_capacity(4);
    if status != StatusCode::NO_CONTENT {
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    response(status, headers, Body::empty())
}

/// A short text body naming the status, e.g. `404 Not Found`.
fn plain(status: StatusCode, head_only: bool) -> Response<Body> {
    let text: &'static str = match status {
        StatusCode::BAD_REQUEST => "400 Bad Request\n",
        StatusCode::UNAUTHORIZED => "401 Unauthorized\n",
        StatusCode::NOT_FOUND => "404 Not Found\n",
        StatusCode::METHOD_NOT_ALLOWED => "405 Method Not Allowed\n",
        StatusCode::PRECONDITION_FAILED => "412 Precondition Failed\n",
        _ => "500 Internal Server Error\n",
    };
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(CONTENT_TYPE, PLAIN_TEXT);
    headers.insert(CACHE_CONTROL, NO_CACHE);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    let body = if head_only {
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
