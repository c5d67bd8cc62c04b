//! HTTP semantics over real TCP against the real binary: validators, ranges, HEAD,
//! methods, directories, 404, SPA, precompressed variants, caching headers.

mod common;

use common::{Server, TempDir};
use std::io::{BufReader, Read, Write};
use std::time::{Duration, SystemTime};

const INDEX: &str = "<!doctype html><title>home</title><h1>home</h1>\n";

fn site() -> TempDir {
    let root = TempDir::new("http");
    root.write("index.html", INDEX);
    root.write("docs/index.html", "<h1>docs</h1>");
    root.write("docs/guide.txt", "0123456789abcdefghij");
    root.write("empty/.keep", "");
    root.write("app.3f9a1c2e.js", "console.log('hashed');");
    root.write("style.css", "body { color: red }");
    root.write("data.json", "{\"a\":1}");
    root.write("mod.mjs", "export const x = 1;");
    root.write("add.wasm", b"\0asm\x01\0\0\0");
    root.write("pic.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    root.write("zero.txt", "");
    root
}

#[test]
fn serves_a_file_with_precomputed_headers() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), INDEX);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("content-length"),
        Some(INDEX.len().to_string().as_str())
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let etag = r.header("etag").unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    // The same bytes have the same ETag under any name; different bytes differ.
    assert_eq!(server.get("/index.html").header("etag"), Some(etag));
    assert_ne!(server.get("/docs/").header("etag"), Some(etag));

    for (path, mime) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/mod.mjs", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/add.wasm", "application/wasm"),
        ("/pic.svg", "image/svg+xml"),
    ] {
        assert_eq!(
            server.get(path).header("content-type"),
            Some(mime),
            "{path}"
        );
    }
    let empty = server.get("/zero.txt");
    assert_eq!(
        (empty.status, empty.header("content-length")),
        (200, Some("0"))
    );
}

#[test]
fn etag_revalidation_gives_304() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let etag = server.get("/style.css").header("etag").unwrap().to_string();
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".to_string(),
    ] {
        let r = server.get_with("/style.css", &[&format!("If-None-Match: {inm}")]);
        assert_eq!(r.status, 304, "{inm}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    }
    let r = server.get_with("/style.css", &["If-None-Match: \"stale\""]);
    assert_eq!(r.status, 200);
    let r = server.get_with("/style.css", &["If-Match: \"stale\""]);
    assert_eq!(r.status, 412);
    let r = server.get_with("/style.css", &[&format!("If-Match: {etag}")]);
    assert_eq!(r.status, 200);
}

#[test]
fn last_modified_only_when_real() {
    let root = site();
    // A Nix store date (1970-01-01T00:00:01): no Last-Modified, and IMS is ignored.
    let nix = std::fs::File::options()
        .write(true)
        .open(root.path().join("style.css"))
        .unwrap();
    nix.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1))
        .unwrap();
    let real = std::fs::File::options()
        .write(true)
        .open(root.path().join("data.json"))
        .unwrap();
    real.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .unwrap();
    let server = Server::start(root.path(), &[]);

    let r = server.get("/style.css");
    assert_eq!(r.header("last-modified"), None);
    let future = "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT";
    assert_eq!(server.get_with("/style.css", &[future]).status, 200);

    let r = server.get("/data.json");
    assert_eq!(
        r.header("last-modified"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(server.get_with("/data.json", &[future]).status, 304);
    let past = "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT";
    assert_eq!(server.get_with("/data.json", &[past]).status, 200);
    // If-None-Match wins over If-Modified-Since.
    assert_eq!(
        server
            .get_with("/data.json", &[future, "If-None-Match: \"other\""])
            .status,
        200
    );
}

#[test]
fn ranges() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let path = "/docs/guide.txt"; // "0123456789abcdefghij", 20 bytes
    let etag = server.get(path).header("etag").unwrap().to_string();
    let cases = [
        ("bytes=0-3", 206, "0123", Some("bytes 0-3/20")),
        ("bytes=10-", 206, "abcdefghij", Some("bytes 10-19/20")),
        ("bytes=-3", 206, "hij", Some("bytes 17-19/20")),
        ("bytes=15-99", 206, "fghij", Some("bytes 15-19/20")),
        (
            "bytes=-100",
            206,
            "0123456789abcdefghij",
            Some("bytes 0-19/20"),
        ),
        ("bytes=0-1,5-6", 200, "0123456789abcdefghij", None),
        ("bytes=5-2", 200, "0123456789abcdefghij", None),
        ("lines=1-2", 200, "0123456789abcdefghij", None),
    ];
    for (range, status, body, content_range) in cases {
        let r = server.get_with(path, &[&format!("Range: {range}")]);
        assert_eq!(r.status, status, "{range}");
        assert_eq!(r.text(), body, "{range}");
        assert_eq!(r.header("content-range"), content_range, "{range}");
        assert_eq!(
            r.header("content-length"),
            Some(body.len().to_string().as_str())
        );
    }
    for range in ["bytes=20-", "bytes=99-100", "bytes=-0"] {
        let r = server.get_with(path, &[&format!("Range: {range}")]);
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.header("content-range"), Some("bytes */20"));
    }
    // If-Range: the current ETag allows the range, a stale one gets the whole file.
    let r = server.get_with(path, &["Range: bytes=0-1", &format!("If-Range: {etag}")]);
    assert_eq!((r.status, r.text().as_str()), (206, "01"));
    let r = server.get_with(path, &["Range: bytes=0-1", "If-Range: \"old\""]);
    assert_eq!((r.status, r.body.len()), (200, 20));
    let r = server.get_with(
        path,
        &[
            "Range: bytes=0-1",
            "If-Range: Tue, 14 Nov 2023 22:13:20 GMT",
        ],
    );
    assert_eq!(r.status, 200, "no Last-Modified to match a date against");
}

#[test]
fn head_is_get_without_a_body() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    for (path, extra) in [
        ("/", None),
        ("/style.css", None),
        ("/docs/guide.txt", Some("Range: bytes=1-2")),
        ("/missing", None),
    ] {
        let headers: Vec<&str> = extra.into_iter().collect();
        let get = server.method_with("GET", path, &headers);
        let head = server.method_with("HEAD", path, &headers);
        assert_eq!(head.status, get.status, "{path}");
        assert!(head.body.is_empty());
        let mut get_headers = get.headers.clone();
        let mut head_headers = head.headers.clone();
        get_headers.remove("date");
        head_headers.remove("date");
        assert_eq!(head_headers, get_headers, "{path}");
    }
    // Nothing follows a HEAD response on a kept-alive connection.
    use std::io::{BufReader, Write};
    let mut stream = server.connect();
    stream
        .write_all(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    assert_eq!(common::Response::read(&mut reader, true).status, 200);
    let second = common::Response::read(&mut reader, false);
    assert_eq!(second.text(), "body { color: red }");
}

#[test]
fn other_methods_get_405_with_allow() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE"] {
        let r = server.method_with(method, "/", &["Content-Length: 0"]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    // OPTIONS says what is allowed (and carries the path's _headers: tests/rules.rs).
    let r = server.method_with("OPTIONS", "/", &[]);
    assert_eq!(
        (r.status, r.header("allow")),
        (204, Some("GET, HEAD, OPTIONS"))
    );
}

#[test]
fn directories_index_and_redirect() {
    let root = site();
    root.write("docs/deep er/index.html", "deeper");
    let server = Server::start(root.path(), &[]);
    let r = server.get("/docs/");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>docs</h1>"));
    // A relative reference: it resolves against the request's own path, so it
    // keeps any prefix the service is mounted under (tests/axum_app.rs).
    let r = server.get("/docs");
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("./docs/"));
    let r = server.get("/docs?lang=en&x=1");
    assert_eq!(r.header("location"), Some("./docs/?lang=en&x=1"));
    let r = server.get("/docs/deep%20er");
    assert_eq!(r.header("location"), Some("./deep%20er/"));
    // A doubled slash must not turn into a protocol-relative (off-site) redirect:
    // `./docs/` against `//docs` stays on this host.
    let r = server.get("//docs");
    assert_eq!(r.header("location"), Some("./docs/"));
    // A directory without index.html is not listed.
    assert_eq!(server.get("/empty/").status, 404);
    // A file asked for as a directory does not exist.
    assert_eq!(server.get("/style.css/").status, 404);
}

#[test]
fn not_found_uses_404_html() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.get("/nope");
    assert_eq!((r.status, r.text().as_str()), (404, "404 Not Found\n"));

    root.write("404.html", "<h1>lost</h1>");
    let server = Server::start(root.path(), &[]);
    let r = server.get("/nope/deeper.png");
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "<h1>lost</h1>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("etag"),
        None,
        "a 404 is not a cacheable representation"
    );
}

#[test]
fn spa_mode_serves_index_for_browser_navigations_only() {
    const BROWSER: &str = "Accept: text/html,application/xhtml+xml,*/*;q=0.8";
    let root = site();
    let off = Server::start(root.path(), &[]);
    assert_eq!(off.get_with("/settings/profile", &[BROWSER]).status, 404);
    let on = Server::start(root.path(), &["--spa"]);
    let r = on.get_with("/settings/profile", &[BROWSER]);
    assert_eq!((r.status, r.text().as_str()), (200, INDEX));
    // A route with a dot in it used to be a 404: the Accept header
    // decides now, not the name.
    assert_eq!(on.get_with("/u/jane.doe", &[BROWSER]).text(), INDEX);
    assert_eq!(
        on.get_with("/missing.js", &["Accept: */*"]).status,
        404,
        "an asset request is not a navigation"
    );
    assert_eq!(
        on.get("/settings/profile").status,
        404,
        "no Accept: not a browser"
    );
    assert_eq!(on.get("/docs/guide.txt").status, 200);
    let env = Server::start_with(root.path(), &[], &[("MOTE_SPA", "true")], "127.0.0.1:0");
    assert_eq!(env.get_with("/a/b", &[BROWSER]).status, 200);
    let shell = Server::start(root.path(), &["--fallback", "docs/index.html"]);
    assert_eq!(shell.get_with("/app/x", &[BROWSER]).text(), "<h1>docs</h1>");
    let (code, _, stderr) = common::run_mote(
        &[
            "--listen",
            "127.0.0.1:0",
            "--fallback",
            "nope.html",
            root.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--fallback nope.html: no such file"),
        "{stderr}"
    );
}

#[test]
fn precompressed_variants_are_negotiated() {
    let root = TempDir::new("enc");
    let original = "let x = 1;\n".repeat(200);
    root.write("app.js", &original);
    root.write("app.js.br", "BROTLI");
    root.write("app.js.zst", "ZSTD");
    root.write("app.js.gz", "GZIP");
    root.write("plain.txt", "no siblings");
    root.write("tiny.txt", "ab");
    root.write("tiny.txt.gz", "a gzip bigger than its original");
    root.write("archive.tar.gz", "a real gzip download");
    let server = Server::start(root.path(), &[]);

    let cases = [
        (None, None, original.as_str()),
        (Some("gzip"), Some("gzip"), "GZIP"),
        (Some("gzip, deflate, br, zstd"), Some("br"), "BROTLI"),
        (Some("zstd, gzip"), Some("zstd"), "ZSTD"),
        (Some("br;q=0.5, gzip;q=0.9"), Some("gzip"), "GZIP"),
        (Some("br;q=0, zstd;q=0, gzip;q=0"), None, original.as_str()),
        (Some("*"), Some("br"), "BROTLI"),
        (Some("gzip;q=0.5, identity"), None, original.as_str()),
        (Some("deflate"), None, original.as_str()),
    ];
    let mut etags = std::collections::HashSet::new();
    for (accept, coding, body) in cases {
        let headers: Vec<String> = accept
            .iter()
            .map(|a| format!("Accept-Encoding: {a}"))
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let r = server.get_with("/app.js", &headers);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), coding, "{accept:?}");
        assert_eq!(r.text(), body, "{accept:?}");
        assert_eq!(r.header("vary"), Some("accept-encoding"));
        assert_eq!(
            r.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        etags.insert(r.header("etag").unwrap().to_string());
    }
    assert_eq!(etags.len(), 4, "each representation has its own ETag");

    // Revalidation and ranges apply to the representation chosen.
    let gz = server.get_with("/app.js", &["Accept-Encoding: gzip"]);
    let inm = format!("If-None-Match: {}", gz.header("etag").unwrap());
    assert_eq!(
        server
            .get_with("/app.js", &["Accept-Encoding: gzip", &inm])
            .status,
        304
    );
    assert_eq!(
        server
            .get_with("/app.js", &["Accept-Encoding: br", &inm])
            .status,
        200
    );
    let r = server.get_with("/app.js", &["Accept-Encoding: gzip", "Range: bytes=1-2"]);
    assert_eq!((r.status, r.text().as_str()), (206, "ZI"));

    // Siblings are not resources of their own; a lone .gz is.
    assert_eq!(server.get("/app.js.gz").status, 404);
    assert_eq!(server.get("/app.js.br").status, 404);
    assert_eq!(server.get("/archive.tar.gz").status, 200);
    // No Vary where there is nothing to vary; a sibling larger than the original is unused.
    assert_eq!(server.get("/plain.txt").header("vary"), None);
    let r = server.get_with("/tiny.txt", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (r.header("content-encoding"), r.text().as_str()),
        (None, "ab")
    );
}

#[test]
fn cache_control_by_kind_and_extra_headers() {
    let root = site();
    let server = Server::start(
        root.path(),
        &[
            "-H",
            "Content-Security-Policy: default-src 'self'",
            "--header",
            "X-Frame-Options: DENY",
        ],
    );
    let hashed = server.get("/app.3f9a1c2e.js");
    assert_eq!(
        hashed.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        hashed.header("content-security-policy"),
        Some("default-src 'self'")
    );
    assert_eq!(hashed.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        server.get("/style.css").header("cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(server.get("/nope").header("x-frame-options"), Some("DENY"));

    let custom = Server::start_with(
        root.path(),
        &["--cache-other", "max-age=60", "--cache-html", "no-store"],
        &[
            ("MOTE_HEADER", "X-A: 1\nX-B: 2"),
            ("MOTE_CACHE_HASHED", "max-age=9"),
        ],
        "127.0.0.1:0",
    );
    let r = custom.get("/style.css");
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    assert_eq!((r.header("x-a"), r.header("x-b")), (Some("1"), Some("2")));
    assert_eq!(custom.get("/").header("cache-control"), Some("no-store"));
    // -H replaces a header of the same name that mote would send (there used to be
    // two Cache-Control headers); several of one name are all sent.
    let replaced = Server::start(
        root.path(),
        &[
            "-H",
            "Cache-Control: no-store",
            "-H",
            "X-Content-Type-Options: nosniff",
            "-H",
            "Link: </a.css>; rel=preload",
            "-H",
            "Link: </b.js>; rel=preload",
        ],
    );
    let r = replaced.get("/style.css");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        r.header("link"),
        Some("</a.css>; rel=preload, </b.js>; rel=preload")
    );
    assert_eq!(
        custom.get("/app.3f9a1c2e.js").header("cache-control"),
        Some("max-age=9")
    );
}

#[test]
fn files_above_the_preload_limit_are_mapped() {
    let root = TempDir::new("large");
    let big = common::patterned(3_000_000, 251);
    root.write("big.bin", &big);
    root.write("small.txt", "small");
    let server = Server::start(root.path(), &["--preload-limit", "1M"]);
    let started = server.stdout.lock().unwrap()[0].clone();
    assert!(started.contains("1 mapped: 2.9 MiB"), "{started}");
    let r = server.get("/big.bin");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, big);
    let etag = r.header("etag").unwrap().to_string();
    let r = server.get_with("/big.bin", &["Range: bytes=2999990-"]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &big[2_999_990..]);
    let r = server.get_with("/big.bin", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304);
    // The same file from memory has the same ETag: it is a hash of the content.
    let preloaded = Server::start(root.path(), &[]);
    assert_eq!(
        preloaded.get("/big.bin").header("etag"),
        Some(etag.as_str())
    );
    // From memory it is sent in frames; every byte arrives, in order.
    let r = preloaded.get("/big.bin");
    assert_eq!(r.body, big);
    let r = preloaded.get_with("/big.bin", &["Range: bytes=262000-1048700"]);
    assert_eq!(r.body, &big[262_000..=1_048_700]);
}

/// Bodies of 64 KiB and more go out of the file behind them (sendfile): the
/// copies of such files share one memory file, each at its own offset (the file
/// above the preload limit is mapped and written from the mapping). Every byte
/// of every file, whole and in ranges (also across the 1 MiB frames), in order,
/// on one kept-alive connection taking turns with a small file.
#[test]
fn bodies_sent_from_files_are_the_files() {
    let root = TempDir::new("sendfile");
    let mut files = Vec::new();
    for (n, len) in [
        65_535u32, 65_536, 65_537, 100_000, 300_001, 1_500_000, 2_500_000,
    ]
    .into_iter()
    .enumerate()
    {
        let content = common::patterned(len, 241 + 2 * n as u32);
        root.write(&format!("f{n}.bin"), &content);
        files.push((format!("/f{n}.bin"), content));
    }
    // A precompressed sibling of its own size class.
    let text = common::patterned(400_000, 7);
    root.write("page.txt", &text);
    let gz = common::patterned(150_000, 9);
    root.write("page.txt.gz", &gz);
    let server = Server::start(root.path(), &["--preload-limit", "2M"]);
    let started = server.stdout.lock().unwrap()[0].clone();
    assert!(started.contains("1 mapped: 2.4 MiB"), "{started}");
    let mut stream = server.connect();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut ask = |path: &str, headers: &str| {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{headers}\r\n");
        stream.write_all(raw.as_bytes()).unwrap();
        common::Response::read(&mut reader, false)
    };
    for (path, content) in &files {
        let r = ask(path, "");
        assert!(r.status == 200 && &r.body == content, "{path}");
        let r = ask(path, "Range: bytes=1-\r\n");
        assert!(r.status == 206 && r.body == content[1..], "{path} from 1");
        let end = content.len() - 2;
        let r = ask(path, &format!("Range: bytes=65000-{end}\r\n"));
        assert!(
            r.status == 206 && r.body == content[65_000..=end],
            "{path} middle"
        );
        assert_eq!(ask("/page.txt", "Range: bytes=0-9\r\n").body, text[..10]);
    }
    let r = ask("/page.txt", "Accept-Encoding: gzip\r\n");
    assert!(r.header("content-encoding") == Some("gzip") && r.body == gz);
    assert_eq!(ask("/page.txt", "").body, text);
}

/// A file above the preload limit truncated in place after start (which a baked
/// root never is): its response cannot be finished (the pages past the new end
/// are gone; the write from them fails), the connection closes, mote serves on.
#[test]
fn a_file_truncated_in_place_ends_its_response_not_the_server() {
    let root = TempDir::new("truncated");
    let big = common::patterned(3_000_000, 251);
    let path = root.write("big.bin", &big);
    root.write("small.txt", "small");
    let server = Server::start(root.path(), &["--preload-limit", "1M"]);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1000)
        .unwrap();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    assert!(got.len() < big.len(), "cut short: {} bytes", got.len());
    let r = server.get("/small.txt");
    assert!(r.status == 200 && r.body == b"small", "mote still serves");
}

/// --max-memory bounds the bytes copied into memory: the smallest files stay
/// there, the rest are mapped, and the start-up line says how many of each.
#[test]
fn max_memory_keeps_the_smallest_files_in_memory() {
    let root = TempDir::new("budget");
    let small = common::patterned(300, 7);
    let medium = common::patterned(500, 11);
    let large = common::patterned(800, 13);
    root.write("a-large.bin", &large);
    root.write("b-small.bin", &small);
    root.write("c-medium.bin", &medium);
    root.write("empty.txt", "");
    let server = Server::start(root.path(), &["--max-memory", "1K"]);
    let started = server.stdout.lock().unwrap()[0].clone();
    assert!(
        started.contains("4 files (800 B in memory, 1 mapped: 800 B)"),
        "{started}"
    );
    for (path, body) in [
        ("/a-large.bin", &large),
        ("/b-small.bin", &small),
        ("/c-medium.bin", &medium),
    ] {
        let r = server.get(path);
        assert!(r.status == 200 && &r.body == body, "{path}");
    }
    let env = Server::start_with(root.path(), &[], &[("MOTE_MAX_MEMORY", "0")], "127.0.0.1:0");
    let started = env.stdout.lock().unwrap()[0].clone();
    assert!(
        started.contains("(0 B in memory, 3 mapped: 1.6 KiB)"),
        "{started}"
    );
    assert_eq!(env.get("/empty.txt").status, 200);
}

/// Issue 11, 4: a file above the preload limit used to be opened by path on each
/// request, following links: replacing it (or its directory) with a link to a file
/// outside ROOT after start served the outside file. Now the content is pinned at
/// load (a mapping of the inode), and no request opens a path.
#[test]
fn replacing_files_after_start_changes_nothing_served() {
    let root = TempDir::new("swap");
    let outside = TempDir::new("outside");
    outside.write("secret.txt", "outside ROOT");
    let big = common::patterned(2_000_000, 253);
    root.write("big.bin", &big);
    root.write("dir/inner.bin", &big);
    let server = Server::start(root.path(), &["--preload-limit", "1M"]);
    std::fs::remove_file(root.0.join("big.bin")).unwrap();
    std::os::unix::fs::symlink(outside.0.join("secret.txt"), root.0.join("big.bin")).unwrap();
    std::fs::rename(root.0.join("dir"), root.0.join("dir.old")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.0.join("dir")).unwrap();
    std::fs::write(outside.0.join("inner.bin"), "outside ROOT").unwrap();
    let r = server.get("/big.bin");
    assert_eq!((r.status, r.body.len()), (200, big.len()));
    assert!(r.body == big, "the loaded content, not the link's target");
    let r = server.get("/dir/inner.bin");
    assert!(r.status == 200 && r.body == big);
    let r = server.get_with("/big.bin", &["Range: bytes=10-19"]);
    assert_eq!(r.body, &big[10..20]);
}

/// Issue 11, 9: links that alias one file multiplied memory (12 directory levels,
/// each with two links to the next: 8,192 names, one copy each). One copy per
/// (device, inode) now, whatever the number of names.
#[test]
fn names_that_link_to_one_file_share_one_copy() {
    let root = TempDir::new("alias");
    let content = common::patterned(20_000, 241);
    root.write("levels/l12/data.bin", &content);
    for level in (0..12).rev() {
        let dir = root.0.join(format!("levels/l{level}"));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["a", "b"] {
            std::os::unix::fs::symlink(
                root.0.join(format!("levels/l{}", level + 1)),
                dir.join(name),
            )
            .unwrap();
        }
    }
    let server = Server::start(root.path(), &[]);
    let started = server.stdout.lock().unwrap()[0].clone();
    // 2 + 4 + ... + 2^12 names lead to the file at the bottom, plus its own: 8,191
    // resources, 19.5 KiB in memory once.
    assert!(
        started.contains("8191 files (19.5 KiB in memory"),
        "{started}"
    );
    assert!(
        started.contains("8190 names share a file loaded once"),
        "{started}"
    );
    let r = server.get("/levels/l0/a/b/a/b/a/b/a/b/a/b/a/b/data.bin");
    assert!(r.status == 200 && r.body == content);
}

#[test]
fn access_log_line_per_request() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    server.get("/style.css");
    server.get("/nope?secret=1");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.log_lines().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let lines = server.log_lines();
    assert!(
        lines[0].contains(" 127.0.0.1 GET /style.css 200 19 "),
        "{lines:?}"
    );
    assert!(
        lines[1].contains(" GET /nope 404 14 "),
        "query strings are not logged: {lines:?}"
    );
    assert!(lines[0].ends_with("ms"));

    let quiet = Server::start(root.path(), &["--no-access-log"]);
    quiet.get("/style.css");
    std::thread::sleep(Duration::from_millis(100));
    assert!(quiet.log_lines().is_empty());
}

/// The default listen address is `[::]`, dual-stack: IPv4 and IPv6 clients alike.
#[test]
fn the_unspecified_ipv6_address_takes_ipv4_too() {
    let root = site();
    let server = Server::start_with(root.path(), &[], &[], "[::]:0");
    let port = server.addr.port();
    let v4: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let v6: std::net::SocketAddr = format!("[::1]:{port}").parse().unwrap();
    assert_eq!(common::get_at(v4, "/", &[]).status, 200);
    assert_eq!(common::get_at(v6, "/", &[]).status, 200);
}

#[test]
fn listens_on_ipv6() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let root = site();
    let server = Server::start_with(root.path(), &[], &[], "[::1]:0");
    assert!(server.addr.is_ipv6());
    assert_eq!(server.get("/").status, 200);
}

/// A Host that is not a host and port is refused (RFC 9112 §3.2, RFC 3986 §3.2.2);
/// `OPTIONS *` asks about the server: 204 with Allow (RFC 9110 §9.3.7).
#[test]
fn host_syntax_and_options_asterisk() {
    let root = TempDir::new("host");
    root.write("index.html", "home");
    let server = Server::start(root.path(), &[]);
    for host in ["a/b@c d", "user@example.com", "example.com:80x", "[::1"] {
        let r = server.request(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(r.status, 400, "Host: {host}");
    }
    for host in ["example.com", "example.com:8080", "[::1]:8080", "127.0.0.1"] {
        let r = server.request(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(r.status, 200, "Host: {host}");
    }
    let r = server.request("OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 204);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
}
