//! The library's tower service in process (tower `oneshot`), mounted in an axum
//! Router the way an application would: at the root, under a prefix with
//! `nest_service`, and as the fallback. The TCP tests (http.rs) cover the same
//! semantics through the `mote` binary.

mod common;

use axum::body::Body as AxumBody;
use axum::Router;
use common::TempDir;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use mote::{ResponseOptions, Site, SiteOptions, SiteService};
use tower::ServiceExt;

fn site() -> TempDir {
    let root = TempDir::new("service");
    root.write("index.html", "<h1>home</h1>");
    root.write("app.js", "let x = 1;\n".repeat(100));
    root.write("app.js.br", "BR");
    root.write("docs/index.html", "<h1>docs</h1>");
    root.write("docs/guide.txt", "0123456789");
    root.write("404.html", "<h1>lost</h1>");
    root
}

fn service(root: &TempDir, options: ResponseOptions) -> SiteService {
    let site = Site::load(root.path(), &SiteOptions::default()).unwrap();
    SiteService::new(site, options)
}

/// An app with a route of its own, mote under /assets and as the fallback.
fn app(svc: SiteService) -> Router {
    Router::new()
        .route("/api", axum::routing::get(|| async { "api" }))
        .nest_service("/assets", svc.clone())
        .fallback_service(svc)
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
) -> Response<String> {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(AxumBody::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Response::from_parts(parts, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(app: &Router, uri: &str) -> Response<String> {
    block_on(call(app, Method::GET, uri, &[]))
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn header(response: &Response<String>, name: header::HeaderName) -> Option<&str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[test]
fn nested_under_a_prefix_every_behaviour_holds() {
    let root = site();
    let app = app(service(&root, ResponseOptions::default()));

    // The app's own route is untouched.
    assert_eq!(get(&app, "/api").body(), "api");

    // Paths are matched below the mount point.
    let r = get(&app, "/assets/app.js");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.body(), &"let x = 1;\n".repeat(100));
    assert_eq!(
        header(&r, header::CONTENT_TYPE),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(header(&r, header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
    let etag = header(&r, header::ETAG).unwrap().to_string();

    // ETag -> 304, If-Match -> 412.
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/app.js",
        &[("if-none-match", &etag)],
    ));
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/app.js",
        &[("if-match", "\"other\"")],
    ));
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);

    // Range, If-Range, 416.
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/docs/guide.txt",
        &[("range", "bytes=2-4")],
    ));
    assert_eq!(
        (r.status(), r.body().as_str()),
        (StatusCode::PARTIAL_CONTENT, "234")
    );
    assert_eq!(header(&r, header::CONTENT_RANGE), Some("bytes 2-4/10"));
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/docs/guide.txt",
        &[("range", "bytes=2-4"), ("if-range", "\"stale\"")],
    ));
    assert_eq!((r.status(), r.body().len()), (StatusCode::OK, 10));
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/docs/guide.txt",
        &[("range", "bytes=50-")],
    ));
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&r, header::CONTENT_RANGE), Some("bytes */10"));

    // HEAD: GET's headers, no body.
    let r = block_on(call(&app, Method::HEAD, "/assets/app.js", &[]));
    assert_eq!((r.status(), r.body().as_str()), (StatusCode::OK, ""));
    assert_eq!(header(&r, header::CONTENT_LENGTH), Some("1100"));

    // 405 with Allow.
    let r = block_on(call(&app, Method::DELETE, "/assets/app.js", &[]));
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, header::ALLOW), Some("GET, HEAD, OPTIONS"));

    // Precompressed negotiation.
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/app.js",
        &[("accept-encoding", "gzip, br")],
    ));
    assert_eq!(
        (r.body().as_str(), header(&r, header::CONTENT_ENCODING)),
        ("BR", Some("br"))
    );
    assert_eq!(header(&r, header::VARY), Some("accept-encoding"));

    // The 404 page.
    let r = get(&app, "/assets/missing.png");
    assert_eq!(
        (r.status(), r.body().as_str()),
        (StatusCode::NOT_FOUND, "<h1>lost</h1>")
    );

    // Directory index, and /dir -> /dir/ keeping the prefix and the query.
    assert_eq!(get(&app, "/assets/docs/").body(), "<h1>docs</h1>");
    let r = get(&app, "/assets/docs?x=1");
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    let location = header(&r, header::LOCATION).unwrap();
    assert_eq!(
        common::resolve_location("/assets/docs", location),
        "/assets/docs/?x=1"
    );

    // The same service is also the fallback, at the root.
    assert_eq!(get(&app, "/").body(), "<h1>home</h1>");
    assert_eq!(get(&app, "/docs/guide.txt").body(), "0123456789");
    let location = header(&get(&app, "/docs"), header::LOCATION)
        .unwrap()
        .to_string();
    assert_eq!(common::resolve_location("/docs", &location), "/docs/");
}

#[test]
fn spa_and_extra_headers_under_a_prefix() {
    let root = site();
    let options = ResponseOptions {
        fallback: Some("index.html".into()),
        headers: vec![(
            header::HeaderName::from_static("x-frame-options"),
            header::HeaderValue::from_static("DENY"),
        )],
    };
    let app = app(service(&root, options));
    let r = block_on(call(
        &app,
        Method::GET,
        "/assets/settings/profile",
        &[("accept", "text/html")],
    ));
    assert_eq!(
        (r.status(), r.body().as_str()),
        (StatusCode::OK, "<h1>home</h1>")
    );
    assert_eq!(
        header(&r, header::HeaderName::from_static("x-frame-options")),
        Some("DENY")
    );
    assert_eq!(
        get(&app, "/assets/missing.js").status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn the_service_takes_any_request_body() {
    let root = site();
    let svc = service(&root, ResponseOptions::default());
    // A String body, not axum's: the service is generic over it.
    let request = Request::get("/docs/guide.txt")
        .body(String::from("ignored"))
        .unwrap();
    let response = block_on(svc.clone().oneshot(request)).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = block_on(response.into_body().collect()).unwrap().to_bytes();
    assert_eq!(&bytes[..], b"0123456789");
    // Traversal is refused before any lookup.
    let request = Request::get("/%2e%2e/etc/passwd").body(()).unwrap();
    assert_eq!(
        block_on(svc.oneshot(request)).unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

/// HTTP semantics in process, table by table, as tower-http's serve_dir tests:
/// preconditions, ranges, methods, rules. (The same through the binary over TCP:
/// tests/http.rs, tests/rules.rs.)
#[test]
fn semantics_in_process() {
    let root = site();
    root.write(
        "_headers",
        "/docs/*\n  X-Docs: 1\n/private/*\n  Basic-Auth: a:b\n",
    );
    root.write("private/index.html", "<h1>private</h1>");
    root.write(
        "_redirects",
        "/old/*  /docs/:splat  301\n/en/*  /:splat  200\n/away/*  https://:splat.example/  302\n",
    );
    let app = app(service(&root, ResponseOptions::default()));
    let guide = get(&app, "/docs/guide.txt");
    let etag = header(&guide, header::ETAG).unwrap().to_string();
    let req = |method: Method, uri: &str, headers: &[(&str, &str)]| {
        block_on(call(&app, method, uri, headers))
    };
    for (method, uri, headers, status, body) in [
        // Preconditions (RFC 9110 §13): a list, a weak match, a failed If-Match.
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("if-none-match", format!("\"x\", {etag}"))],
            304,
            "",
        ),
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("if-none-match", format!("W/{etag}"))],
            304,
            "",
        ),
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("if-match", "\"other\"".to_string())],
            412,
            "412 Precondition Failed\n",
        ),
        // Ranges: one range, a suffix, past the end, If-Range with another tag.
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("range", "bytes=2-4".to_string())],
            206,
            "234",
        ),
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("range", "bytes=-3".to_string())],
            206,
            "789",
        ),
        (
            Method::GET,
            "/docs/guide.txt",
            vec![("range", "bytes=20-".to_string())],
            416,
            "",
        ),
        (
            Method::GET,
            "/docs/guide.txt",
            vec![
                ("range", "bytes=2-4".to_string()),
                ("if-range", "\"old\"".to_string()),
            ],
            200,
            "0123456789",
        ),
        // Methods: HEAD has no body, POST is 405.
        (Method::HEAD, "/docs/guide.txt", vec![], 200, ""),
        (
            Method::POST,
            "/docs/guide.txt",
            vec![],
            405,
            "405 Method Not Allowed\n",
        ),
        // Rules: a redirect, a rewrite, Basic-Auth through a rewrite, a filled host.
        (Method::GET, "/old/guide.txt", vec![], 301, ""),
        (Method::GET, "/en/docs/guide.txt", vec![], 200, "0123456789"),
        (
            Method::GET,
            "/en/private/",
            vec![],
            401,
            "401 Unauthorized\n",
        ),
        (
            Method::GET,
            "/en/private/",
            vec![("authorization", "Basic YTpi".to_string())],
            200,
            "<h1>private</h1>",
        ),
        (Method::GET, "/away/evil.com%23", vec![], 302, ""),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = req(method.clone(), uri, &headers);
        assert_eq!(r.status().as_u16(), status, "{method} {uri} {headers:?}");
        assert_eq!(r.body(), body, "{method} {uri} {headers:?}");
    }
    let r = req(Method::GET, "/old/guide.txt", &[]);
    assert_eq!(header(&r, header::LOCATION), Some("/docs/guide.txt"));
    let r = req(Method::GET, "/away/evil.com%23", &[]);
    assert_eq!(
        header(&r, header::LOCATION),
        Some("https://evil.com%23.example/")
    );
    let r = req(Method::GET, "/docs/guide.txt", &[]);
    assert_eq!(r.headers()["x-docs"], "1");
    let r = req(Method::POST, "/docs/guide.txt", &[]);
    assert_eq!(header(&r, header::ALLOW), Some("GET, HEAD, OPTIONS"));
}
