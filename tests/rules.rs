//! `_headers` and `_redirects` over real TCP: Netlify's and
//! Cloudflare's common subset, Basic-Auth, CORS preflights, bad files.

mod common;

use common::{run_mote, Server, TempDir};

fn site() -> TempDir {
    let root = TempDir::new("rules");
    root.write("index.html", "<h1>home</h1>");
    root.write("app.js", "let a = 1;");
    root.write("blog/first.html", "<h1>first</h1>");
    root.write("admin/index.html", "<h1>admin</h1>");
    root.write("api/data.json", "{}");
    root.write("404.html", "<h1>lost</h1>");
    root.write(
        "_headers",
        "# every response\n\
         /*\n  X-Frame-Options: DENY\n  Cache-Control: no-store\n\
         /*.js\n  Cache-Control: public, max-age=60\n  ! X-Frame-Options\n\
         /api/*\n  Access-Control-Allow-Origin: *\n  Access-Control-Allow-Methods: GET, OPTIONS\n\
         /admin/*\n  Basic-Auth: alice:wonderland bob:builder\n",
    );
    root.write(
        "_redirects",
        "/old-blog/*  /blog/:splat  301\n\
         /u/:name     /blog/first.html  200\n\
         /elsewhere   https://example.com/x  302\n\
         /app.js      /nowhere.js  301\n\
         /forced.js   /app.js  307!\n",
    );
    root
}

#[test]
fn headers_apply_by_pattern_and_can_remove() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.get("/index.html");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // The rule's Cache-Control replaces mote's (one header, not two).
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = server.get("/app.js");
    // Both blocks match: the later one adds to the earlier, and removes.
    assert_eq!(
        r.header("cache-control"),
        Some("no-store, public, max-age=60")
    );
    assert_eq!(r.header("x-frame-options"), None);
    // 404s get them too; the rule files themselves are never served.
    let r = server.get("/_headers");
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>lost</h1>"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(server.get("/_redirects").status, 404);
    // 304 carries them.
    let etag = server
        .get("/index.html")
        .header("etag")
        .unwrap()
        .to_string();
    let r = server.get_with("/index.html", &[&format!("If-None-Match: {etag}")]);
    assert_eq!((r.status, r.header("x-frame-options")), (304, Some("DENY")));
}

/// The rules of each file's and directory's own path are worked out at load;
/// any spelling of the path gets the same ones, and paths with no file get theirs
/// matched when asked.
#[test]
fn every_spelling_of_a_path_gets_its_rules() {
    let root = TempDir::new("rules-spellings");
    root.write("docs/index.html", "<h1>docs</h1>");
    root.write("docs/a.html", "<h1>a</h1>");
    root.write("admin/index.html", "<h1>admin</h1>");
    root.write(
        "_headers",
        "/docs/\n  X-Dir: yes\n/docs/*.html\n  X-Html: yes\n/docs/*\n  X-Any: yes\n\
         /admin/*\n  Basic-Auth: alice:wonderland\n",
    );
    let server = Server::start(root.path(), &[]);
    let rules = |path: &str| {
        let r = server.get(path);
        let has = |name: &str| r.header(name).is_some();
        (r.status, has("x-dir"), has("x-html"), has("x-any"))
    };
    for path in [
        "/docs/a.html",
        "/docs//a.html",
        "/docs/%61.html",
        "/docs/./a.html",
    ] {
        let expected = if path.contains("/./") {
            (400, false, false, false)
        } else {
            (200, false, true, true)
        };
        assert_eq!(rules(path), expected, "{path}");
    }
    assert_eq!(rules("/docs/"), (200, true, false, true));
    assert_eq!(rules("/docs//"), (200, true, false, true));
    assert_eq!(rules("/docs/index.html"), (200, false, true, true));
    assert_eq!(rules("/docs/missing.html"), (404, false, true, true));
    assert_eq!(rules("/docs/a.html/"), (404, false, false, true));
    assert_eq!(rules("/docs"), (308, false, false, false));
    for path in [
        "/admin/",
        "/admin//index.html",
        "/admin/%69ndex.html",
        "/admin/nothing",
    ] {
        assert_eq!(server.get(path).status, 401, "{path}");
    }
}

#[test]
fn cors_preflight_gets_the_paths_headers() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.method_with(
        "OPTIONS",
        "/api/data.json",
        &[
            "Origin: https://app.example",
            "Access-Control-Request-Method: GET",
        ],
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, OPTIONS")
    );
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(
        server
            .get("/api/data.json")
            .header("access-control-allow-origin"),
        Some("*")
    );
    assert_eq!(
        server
            .method_with("POST", "/api/data.json", &["Content-Length: 0"])
            .status,
        405
    );
}

#[test]
fn basic_auth_protects_matching_paths() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.get("/admin/");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"mote\", charset=\"UTF-8\"")
    );
    // alice:wonderland, bob:builder; a wrong password, another scheme.
    assert_eq!(
        server
            .get_with(
                "/admin/",
                &["Authorization: Basic YWxpY2U6d29uZGVybGFuZA=="]
            )
            .text(),
        "<h1>admin</h1>"
    );
    assert_eq!(
        server
            .get_with("/admin/", &["Authorization: basic Ym9iOmJ1aWxkZXI="])
            .status,
        200
    );
    assert_eq!(
        server
            .get_with("/admin/", &["Authorization: Basic YWxpY2U6d3Jvbmc="])
            .status,
        401
    );
    assert_eq!(
        server
            .get_with(
                "/admin/",
                &["Authorization: Bearer YWxpY2U6d29uZGVybGFuZA=="]
            )
            .status,
        401
    );
    assert_eq!(
        server.get("/index.html").status,
        200,
        "other paths are open"
    );
}

#[test]
fn redirects_and_rewrites() {
    let root = site();
    let server = Server::start(root.path(), &[]);
    let r = server.get("/old-blog/first.html?ref=x");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/blog/first.html?ref=x"));
    let r = server.get("/u/jane.doe");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "<h1>first</h1>"),
        "a 200 rule rewrites"
    );
    let r = server.get("/elsewhere");
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("https://example.com/x"))
    );
    // A file shadows an unforced rule; a forced one (307!) applies anyway.
    assert_eq!(server.get("/app.js").status, 200);
    let r = server.get("/forced.js");
    assert_eq!((r.status, r.header("location")), (307, Some("/app.js")));
    assert_eq!(server.get("/nothing-here").status, 404);
}

#[test]
fn bad_rule_files_refuse_to_start_naming_file_and_line() {
    for (file, text, why) in [
        (
            "_headers",
            "/a\n  X-Ok: 1\n  no colon\n",
            "_headers line 3: expected 'Name: value'",
        ),
        (
            "_headers",
            "  X-A: 1\n",
            "_headers line 1: a header line before any path pattern",
        ),
        (
            "_redirects",
            "/a /b\n/c /d 418\n",
            "_redirects line 2: status '418'",
        ),
        (
            "_redirects",
            "/loop /loop 301\n",
            "_redirects line 1: the rule redirects to itself",
        ),
        ("_redirects", "/a/* /a/:splat\n", "redirects to itself"),
    ] {
        let root = TempDir::new("badrules");
        root.write("index.html", "x");
        root.write(file, text);
        let (code, _, stderr) = run_mote(
            &["--listen", "127.0.0.1:0", root.path().to_str().unwrap()],
            &[],
        );
        assert_eq!(code, Some(1), "{file}: {text:?}");
        assert!(stderr.contains(why), "{file} {text:?}: {stderr}");
    }
    // --headers-file names a file that must exist.
    let root = TempDir::new("norules");
    root.write("index.html", "x");
    let (code, _, stderr) = run_mote(
        &[
            "--listen",
            "127.0.0.1:0",
            "--headers-file",
            "/nonexistent/_headers",
            root.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("/nonexistent/_headers"), "{stderr}");
}

#[test]
fn rule_files_from_other_paths() {
    let root = TempDir::new("rootrules");
    root.write("index.html", "x");
    let elsewhere = TempDir::new("elsewhere");
    let headers = elsewhere.write("h", "/*\n  X-From: elsewhere\n");
    let redirects = elsewhere.write("r", "/go /index.html 302\n");
    let server = Server::start(
        root.path(),
        &[
            "--headers-file",
            headers.to_str().unwrap(),
            "--redirects-file",
            redirects.to_str().unwrap(),
        ],
    );
    assert_eq!(server.get("/").header("x-from"), Some("elsewhere"));
    assert_eq!(server.get("/go").header("location"), Some("/index.html"));
}

/// A 200 for a file takes its fields from a template per rule set and kind of file
/// (src/respond/head.rs), with the file's own values written in. Each must be what
/// building them for that file gives: the 206 for `bytes=0-` is still built field
/// by field, and carries the same fields but for Content-Range.
#[test]
fn full_responses_carry_each_files_own_fields() {
    let root = TempDir::new("rules-templates");
    root.write("a.html", "<h1>a</h1>");
    root.write("b.html", "<h1>a longer page</h1>");
    root.write("c.css", "p { color: red }");
    root.write("d.js", "let d = 'the original, longer than its sibling';");
    root.write("d.js.br", "BROTLI");
    root.write("e.js", "let e = 1;");
    root.write(
        "_headers",
        "/*\n  X-Frame-Options: DENY\n\
         /*.html\n  Cache-Control: no-cache\n\
         /*.css\n  ! ETag\n  Cache-Control: public\n  Cache-Control: immutable\n\
         /d.js\n  X-Sibling: yes\n",
    );
    let args = [
        "-H",
        "Link: </a.html>",
        "-H",
        "Link: </c.css>",
        "-H",
        "Cache-Control: max-age=5",
    ];
    let server = Server::start(root.path(), &args);
    let mut etags = Vec::new();
    for (path, accept) in [
        ("/a.html", ""),
        ("/b.html", ""),
        ("/a.html", ""),
        ("/c.css", ""),
        ("/d.js", "br"),
        ("/d.js", "identity"),
        ("/e.js", "br"),
        ("/d.js", "br"),
    ] {
        let accept = format!("Accept-Encoding: {accept}");
        let full = server.get_with(path, &[&accept]);
        let ranged = server.get_with(path, &[&accept, "Range: bytes=0-"]);
        assert_eq!((full.status, ranged.status), (200, 206), "{path}");
        assert_eq!(full.body, ranged.body, "{path}");
        assert_eq!(
            full.header("content-length"),
            Some(full.body.len().to_string().as_str()),
            "{path}"
        );
        let fields = |response: &common::Response| {
            let mut fields = response.headers.clone();
            fields.remove("date");
            fields.remove("content-range");
            fields
        };
        assert_eq!(fields(&full), fields(&ranged), "{path} {accept}");
        assert_eq!(full.header("link"), Some("</a.html>, </c.css>"), "{path}");
        assert_eq!(full.header("x-frame-options"), Some("DENY"), "{path}");
        etags.push((path, accept, full.header("etag").map(str::to_string)));
    }
    let etag = |i: usize| etags[i].2.clone();
    assert_ne!(
        etag(0),
        etag(1),
        "two pages of one kind keep their own ETags"
    );
    assert_eq!(etag(0), etag(2));
    assert_eq!(etag(3), None, "the rule removed it");
    assert_ne!(etag(4), etag(5), "the sibling has its own");
    assert_eq!(etag(4), etag(7));
    let css = server.get("/c.css");
    assert_eq!(css.header("cache-control"), Some("public, immutable"));
    let html = server.get("/b.html");
    assert_eq!(html.header("cache-control"), Some("no-cache"));
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let brotli = server.get_with("/d.js", &["Accept-Encoding: br"]);
    assert_eq!(
        (
            brotli.header("content-encoding"),
            brotli.header("vary"),
            brotli.text().as_str()
        ),
        (Some("br"), Some("accept-encoding"), "BROTLI")
    );
    assert_eq!(brotli.header("x-sibling"), Some("yes"));
    assert_eq!(brotli.header("cache-control"), Some("max-age=5"));
    let plain = server.get_with("/e.js", &["Accept-Encoding: br"]);
    assert_eq!(
        (plain.header("content-encoding"), plain.header("vary")),
        (None, None)
    );
    assert_eq!(plain.header("x-sibling"), None);
}

/// Protection follows the file, whatever name reaches it: a 200 rewrite onto
/// it, its directory (which serves it as the index), the SPA fallback.
#[test]
fn basic_auth_follows_the_file_whatever_name_reaches_it() {
    let root = TempDir::new("auth-follows");
    root.write("admin/s.txt", "secret");
    root.write("p/index.html", "<h1>private</h1>");
    root.write("app.html", "<h1>app</h1>");
    root.write(
        "_headers",
        "/admin/*\n  Basic-Auth: a:b\n/p/index.html\n  Basic-Auth: a:b\n/app.html\n  Basic-Auth: a:b\n",
    );
    root.write("_redirects", "/en/*  /:splat  200\n/docs/*  /p/  200\n");
    let server = Server::start(root.path(), &["--fallback", "app.html"]);
    let good = "Authorization: Basic YTpi"; // a:b
    let bad = "Authorization: Basic YTp4"; // a:x
    for path in [
        "/admin/s.txt",
        "/en/admin/s.txt",
        "/p/",
        "/p/index.html",
        "/en/p/",
        "/docs/x",
    ] {
        assert_eq!(server.get(path).status, 401, "{path} without credentials");
        assert_eq!(
            server.get_with(path, &[bad]).status,
            401,
            "{path} with wrong ones"
        );
        let r = server.get_with(path, &[good]);
        assert_eq!(r.status, 200, "{path} with the right ones");
    }
    assert_eq!(server.get_with("/en/admin/s.txt", &[good]).text(), "secret");
    // The fallback file is protected too: a navigation elsewhere does not leak it.
    let nav = "Accept: text/html";
    assert_eq!(server.get_with("/somewhere", &[nav]).status, 401);
    let r = server.get_with("/somewhere", &[nav, good]);
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>app</h1>"));
}

/// A value filled into a redirect target is request text: it may not change the
/// target's host (`evil.com#` into the authority, `/evil.com` after a `/`).
#[test]
fn placeholders_and_splats_cannot_redirect_off_site() {
    let root = TempDir::new("open-redirect");
    root.write("index.html", "x");
    root.write(
        "_redirects",
        "/site/:l  https://:l.example.com/  302\n/go*  /:splat  302\n/to/*  https://docs.example/:splat  302\n/e/*  /:splat/x  302\n",
    );
    let server = Server::start(root.path(), &[]);
    for (path, location) in [
        ("/site/evil.com%23", "https://evil.com%23.example.com/"),
        ("/site/a%40b", "https://a%40b.example.com/"),
        ("/site/en", "https://en.example.com/"),
        ("/go/evil.com", "/%2Fevil.com"),
        ("/go//evil.com", "/%2Fevil.com"),
        ("/to/a%3Fx%23y", "https://docs.example/a%3Fx%23y"),
        ("/to/guide/intro", "https://docs.example/guide/intro"),
        // An empty splat before the target's own `/` (found by fuzz/redirect_target).
        ("/e/", "/%2Fx"),
        ("/e/a", "/a/x"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 302, "{path}");
        assert_eq!(r.header("location"), Some(location), "{path}");
    }
}

/// Fields that frame the message cannot come from a rule or -H: a 21-byte file
/// with `content-length: 3` is a mis-framed response.
#[test]
fn framing_fields_are_refused_at_start() {
    let root = TempDir::new("framing");
    root.write("a.txt", "twenty-one bytes long");
    let dir = root.path().to_str().unwrap();
    for field in [
        "Content-Length: 3",
        "Transfer-Encoding: chunked",
        "Connection: close",
    ] {
        root.write("_headers", format!("/*\n  {field}\n"));
        let (code, _, stderr) = run_mote(&["--listen", "127.0.0.1:0", dir], &[]);
        assert_eq!(code, Some(1), "{field}: {stderr}");
        assert!(
            stderr.contains("_headers line 2") && stderr.contains("frames the message"),
            "{stderr}"
        );
    }
    root.write("_headers", "/*\n  ! Content-Length\n");
    let (code, _, stderr) = run_mote(&["--listen", "127.0.0.1:0", dir], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    std::fs::remove_file(root.path().join("_headers")).unwrap();
    let (code, _, stderr) = run_mote(
        &["--listen", "127.0.0.1:0", "-H", "content-length: 3", dir],
        &[],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("frames the message"), "{stderr}");
}

/// Only a `#` that starts a word begins a comment (Netlify's parser): a target's
/// fragment is kept.
#[test]
fn a_fragment_in_a_redirect_target_is_not_a_comment() {
    let root = TempDir::new("fragment");
    root.write("index.html", "x");
    root.write(
        "_redirects",
        "# a comment line\n/old  https://a.example/x#top  302  # and one after the rule\n/p /q#s 302#not-a-comment-but-part-of-nothing\n",
    );
    let (code, _, stderr) = run_mote(
        &["--listen", "127.0.0.1:0", root.path().to_str().unwrap()],
        &[],
    );
    // `302#...` is one word: not a status mote knows.
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("_redirects line 3: status '302#"),
        "{stderr}"
    );
    root.write(
        "_redirects",
        "/old  https://a.example/x#top  302  # moved\n/p  /q#s\n",
    );
    let server = Server::start(root.path(), &[]);
    let r = server.get("/old");
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("https://a.example/x#top"))
    );
    let r = server.get("/p");
    assert_eq!((r.status, r.header("location")), (301, Some("/q#s")));
}

/// Redirect chains that come back where they started are refused at start,
/// whatever their length; one that lands on a file of the site is not a loop.
#[test]
fn redirect_loops_of_any_length_are_refused() {
    for (text, chain) in [
        ("/a /b 302\n/b /a 302\n", "/a -> /b -> /a"),
        ("/a /b\n/b /c\n/c /a\n", "/a -> /b -> /c -> /a"),
        (
            "/x/* /y/:splat 302\n/y/* /x/:splat 302\n",
            "/x/x -> /y/x -> /x/x",
        ),
        ("/f /g 301!\n/g /f 301!\n/g.html /x\n", "/f -> /g -> /f"),
    ] {
        let root = TempDir::new("loops");
        root.write("index.html", "x");
        root.write("_redirects", text);
        let (code, _, stderr) = run_mote(
            &["--listen", "127.0.0.1:0", root.path().to_str().unwrap()],
            &[],
        );
        assert_eq!(code, Some(1), "{text:?}: {stderr}");
        assert!(
            stderr.contains("redirects round in a circle") && stderr.contains(chain),
            "{text:?}: {stderr}"
        );
    }
    // /b is a file: the site answers it before the unforced rule, no loop.
    let root = TempDir::new("noloop");
    root.write("index.html", "x");
    root.write("b", "file b");
    root.write("_redirects", "/a /b 302\n/b /a 302\n");
    let server = Server::start(root.path(), &[]);
    assert_eq!(server.get("/a").header("location"), Some("/b"));
    assert_eq!(server.get("/b").text(), "file b");
}

/// Rule files are bounded (rules, pattern parts, line length) and a 404 costs
/// matching, not rules squared: 20,000 blocks are refused, and the most allowed
/// answer a 404 with every edit applied.
#[test]
fn rule_files_are_bounded() {
    let root = TempDir::new("bounds");
    root.write("index.html", "x");
    let dir = root.path().to_str().unwrap();
    let blocks = |n: usize| {
        (0..n)
            .map(|i| format!("/*\n  X-R{i}: {i}\n"))
            .collect::<String>()
    };
    root.write("_headers", blocks(20_000));
    common::refuses(
        &[dir],
        &["_headers line 2001: more than 1000 path patterns"],
    );
    root.write(
        "_headers",
        format!("/{}\n  X-A: 1\n", vec![":p"; 32_000].join("/")),
    );
    common::refuses(&[dir], &["longer than 4096 bytes"]);
    root.write(
        "_headers",
        format!("/{}\n  X-A: 1\n", vec![":p"; 100].join("/")),
    );
    common::refuses(&[dir], &["more than 64 parts"]);
    let redirects = (0..4_001)
        .map(|i| format!("/r{i} /t{i}\n"))
        .collect::<String>();
    std::fs::remove_file(root.path().join("_headers")).unwrap();
    root.write("_redirects", redirects);
    common::refuses(&[dir], &["_redirects line 4001: more than 4000 rules"]);
    std::fs::remove_file(root.path().join("_redirects")).unwrap();
    root.write("_headers", blocks(1_000));
    let server = Server::start(root.path(), &[]);
    for _ in 0..20 {
        let r = server.get("/missing");
        assert_eq!(r.status, 404);
        assert_eq!(r.header("x-r999"), Some("999"));
    }
}

/// A deep pattern and a deep path on a worker with a big header limit: matching
/// is a loop, no request can overflow its stack.
#[test]
fn deep_paths_against_deep_patterns_do_not_crash_a_worker() {
    let root = TempDir::new("deep");
    root.write("index.html", "home");
    root.write(
        "_headers",
        format!("/{}/*\n  X-Deep: 1\n", vec![":p"; 30].join("/")),
    );
    let server = Server::start(root.path(), &["--max-header-size", "1M", "--workers", "2"]);
    let path = format!("/{}", vec!["s"; 30_000].join("/"));
    let r = server.get(&path);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-deep"), Some("1"));
    assert_eq!(server.get("/").text(), "home");
}

/// A byte-order mark is not part of the first line; a file that is not UTF-8 is
/// refused naming the line.
#[test]
fn rule_file_encodings() {
    let root = TempDir::new("encodings");
    root.write("index.html", "x");
    root.write("_headers", b"\xef\xbb\xbf/*\n  X-Bom: gone\n");
    let server = Server::start(root.path(), &[]);
    assert_eq!(server.get("/").header("x-bom"), Some("gone"));
    drop(server);
    root.write("_headers", b"/*\n  X-A: 1\n/caf\xe9\n  X-B: 2\n");
    common::refuses(
        &[root.path().to_str().unwrap()],
        &["_headers line 3: byte 0xe9 is not UTF-8"],
    );
}
