//! URLs the way static hosts serve them, over real TCP: clean URLs, the nearest
//! 404 page, `_redirects` 404 and 410 rules, and `--env-js` (client configuration
//! per deployment on a read-only root).

mod common;

use common::{refuses, Server, TempDir};

fn export() -> TempDir {
    // The shape of a Next.js `output: 'export'` or Hugo `uglyURLs` build.
    let root = TempDir::new("sites");
    root.write("index.html", "<h1>home</h1>");
    root.write("about.html", "<h1>about</h1>");
    root.write("about.html.gz", {
        // A precompressed sibling comes along with the clean URL.
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(b"not really gzip, but smaller than nothing");
        gz.truncate(8);
        gz
    });
    root.write("docs/intro.html", "<h1>intro</h1>");
    root.write("docs/404.html", "<h1>docs lost</h1>");
    root.write("docs/api/index.html", "<h1>api</h1>");
    root.write("blog.html", "<h1>blog page</h1>");
    root.write("blog/index.html", "<h1>blog dir</h1>");
    root.write("notes", "a file named notes");
    root.write("notes.html", "<h1>notes page</h1>");
    root.write("404.html", "<h1>lost</h1>");
    root.write("gone.html", "<h1>gone</h1>");
    root.write("_headers", "/about\n  X-Clean: yes\n");
    root.write(
        "_redirects",
        "/old/*     /gone.html  410\n\
         /legacy    /about.html 404\n\
         /private/* /docs/api/  404\n",
    );
    root
}

#[test]
fn clean_urls_serve_the_html_file_with_all_its_semantics() {
    let root = export();
    let server = Server::start(root.path(), &[]);
    let clean = server.get("/about");
    assert_eq!(
        (clean.status, clean.text().as_str()),
        (200, "<h1>about</h1>")
    );
    assert_eq!(
        clean.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let named = server.get("/about.html");
    assert_eq!(
        (named.status, named.text().as_str()),
        (200, "<h1>about</h1>")
    );
    let etag = clean.header("etag").unwrap();
    assert_eq!(named.header("etag"), Some(etag));
    // Its own path's _headers rules.
    assert_eq!(clean.header("x-clean"), Some("yes"));
    assert_eq!(named.header("x-clean"), None);
    // Revalidation, Range and the precompressed sibling, as for any file.
    let revalidated = server.get_with("/about", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(revalidated.status, 304);
    let ranged = server.get_with("/about", &["Range: bytes=0-3"]);
    assert_eq!((ranged.status, ranged.text().as_str()), (206, "<h1>"));
    let gz = server.get_with("/about", &["Accept-Encoding: gzip"]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    // Nested, and HEAD.
    assert_eq!(server.get("/docs/intro").text(), "<h1>intro</h1>");
    let head = server.method_with("HEAD", "/docs/intro", &[]);
    assert_eq!((head.status, head.body.len()), (200, 0));
    // A directory or a file of that name wins; index.html is its directory's.
    assert_eq!(server.get("/blog").status, 308);
    assert_eq!(server.get("/blog/").text(), "<h1>blog dir</h1>");
    assert_eq!(server.get("/notes").text(), "a file named notes");
    assert_eq!(server.get("/index").status, 404);
    assert_eq!(server.get("/about/").status, 404);
}

#[test]
fn no_clean_urls_turns_them_off() {
    let root = export();
    let server = Server::start(root.path(), &["--no-clean-urls"]);
    assert_eq!(server.get("/about").status, 404);
    assert_eq!(server.get("/about.html").status, 200);
    let env = Server::start_with(
        root.path(),
        &[],
        &[("MOTE_NO_CLEAN_URLS", "1")],
        "127.0.0.1:0",
    );
    assert_eq!(env.get("/about").status, 404);
}

#[test]
fn a_miss_gets_the_nearest_404_page() {
    let root = export();
    let server = Server::start(root.path(), &[]);
    let nested = server.get("/docs/missing/deeper.html");
    assert_eq!(
        (nested.status, nested.text().as_str()),
        (404, "<h1>docs lost</h1>")
    );
    assert_eq!(nested.header("cache-control"), Some("no-cache"));
    assert_eq!(server.get("/docs/api/nothing").text(), "<h1>docs lost</h1>");
    let top = server.get("/missing");
    assert_eq!((top.status, top.text().as_str()), (404, "<h1>lost</h1>"));
    // A path that only starts like the directory is not in it.
    assert_eq!(server.get("/docsx/missing").text(), "<h1>lost</h1>");
    // The page itself is still a page.
    assert_eq!(server.get("/docs/404.html").status, 200);
}

#[test]
fn redirect_rules_with_404_and_410_serve_the_target_with_that_status() {
    let root = export();
    let server = Server::start(root.path(), &[]);
    let gone = server.get("/old/page");
    assert_eq!((gone.status, gone.text().as_str()), (410, "<h1>gone</h1>"));
    assert_eq!(gone.header("cache-control"), Some("no-cache"));
    assert_eq!(gone.header("etag"), None);
    let legacy = server.get("/legacy");
    assert_eq!(
        (legacy.status, legacy.text().as_str()),
        (404, "<h1>about</h1>")
    );
    // A directory target serves its index.
    let private = server.get("/private/x");
    assert_eq!(
        (private.status, private.text().as_str()),
        (404, "<h1>api</h1>")
    );
    let head = server.method_with("HEAD", "/old/page", &[]);
    assert_eq!((head.status, head.body.len()), (410, 0));
}

#[test]
fn netlify_custom_not_found_rule() {
    let root = TempDir::new("sites-catchall");
    root.write("index.html", "<h1>home</h1>");
    root.write("not-found.html", "<h1>custom</h1>");
    root.write("_redirects", "/*  /not-found.html  404\n");
    let server = Server::start(root.path(), &[]);
    assert_eq!(server.get("/").text(), "<h1>home</h1>");
    let miss = server.get("/anything/at/all");
    assert_eq!(
        (miss.status, miss.text().as_str()),
        (404, "<h1>custom</h1>")
    );
}

#[test]
fn bad_404_and_410_rules_are_refused() {
    let root = TempDir::new("sites-bad-rule");
    root.write("index.html", "x");
    root.write("_redirects", "/old  https://example.com/gone  410\n");
    let root_arg = root.path().to_str().unwrap();
    refuses(
        &[root_arg],
        &["_redirects line 1", "410 rule serves a file of the site"],
    );
    root.write("_redirects", "/old  /gone.html  451\n");
    refuses(
        &[root_arg],
        &["_redirects line 1", "status '451'", "404 or 410"],
    );
}

#[test]
fn env_js_exposes_only_public_variables() {
    let root = export();
    let env = [
        ("MOTE_PUBLIC_API_URL", "https://api.example/v1"),
        ("MOTE_PUBLIC_QUOTE", "say \"hi\" </script>"),
        ("MOTE_SECRET_TOKEN", "hunter2"),
        ("DATABASE_URL", "postgres://secret"),
    ];
    let server = Server::start_with(root.path(), &["--env-js", "/env.js"], &env, "127.0.0.1:0");
    let js = server.get("/env.js");
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("cache-control"), Some("no-cache"));
    assert_eq!(
        js.text(),
        "window.__ENV = {\"API_URL\":\"https://api.example/v1\",\
         \"QUOTE\":\"say \\\"hi\\\" \\u003c/script\\u003e\"};\n"
    );
    assert!(!js.text().contains("hunter2") && !js.text().contains("postgres"));
    let etag = js.header("etag").unwrap();
    let again = server.get_with("/env.js", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(again.status, 304);
    // Set from the environment too, under a directory.
    let env = [("MOTE_ENV_JS", "config/env.js"), ("MOTE_PUBLIC_A", "1")];
    let server = Server::start_with(root.path(), &[], &env, "127.0.0.1:0");
    assert_eq!(
        server.get("/config/env.js").text(),
        "window.__ENV = {\"A\":\"1\"};\n"
    );
    // Off by default.
    let server = Server::start_with(root.path(), &[], &[("MOTE_PUBLIC_A", "1")], "127.0.0.1:0");
    assert_eq!(server.get("/env.js").status, 404);
}

#[test]
fn env_js_refuses_a_path_the_site_has() {
    let root = export();
    let root_arg = root.path().to_str().unwrap();
    refuses(
        &[root_arg, "--env-js", "/about.html"],
        &[
            "--env-js /about.html",
            "the site has a file or directory there already",
        ],
    );
    refuses(&[root_arg, "--env-js", "docs"], &["--env-js /docs"]);
}
