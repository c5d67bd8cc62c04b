//! Hostile input over real TCP: traversal spellings, symlink escapes, dotfiles,
//! slow and idle clients, connection and head-size limits.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Response, Server, TempDir};

const SECRET: &str = "TOP-SECRET-OUTSIDE-ROOT";

/// ROOT inside a parent that also holds a secret file, plus links in and out.
fn jailed_site() -> (TempDir, std::path::PathBuf) {
    let parent = TempDir::new("jail");
    parent.write("secret.txt", SECRET);
    parent.write("etc/passwd", SECRET);
    let root = parent.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("index.html"), "home").unwrap();
    std::fs::write(root.join("sub/page.txt"), "page").unwrap();
    std::fs::write(root.join(".env"), SECRET).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), SECRET).unwrap();
    std::fs::create_dir_all(root.join(".well-known")).unwrap();
    std::fs::write(root.join(".well-known/security.txt"), "contact").unwrap();
    std::fs::write(root.join(".well-known/.hidden"), SECRET).unwrap();
    std::fs::create_dir_all(root.join("sub/.well-known")).unwrap();
    std::fs::write(root.join("sub/.well-known/x.txt"), SECRET).unwrap();
    let link = |target: &std::path::Path, name: &str| {
        std::os::unix::fs::symlink(target, root.join(name)).unwrap()
    };
    link(&parent.path().join("secret.txt"), "escape.txt");
    link(parent.path(), "up");
    link(std::path::Path::new("../secret.txt"), "relative-escape.txt");
    link(&root.join("sub/page.txt"), "inside.txt");
    link(&root.join("sub"), "sub-link");
    link(&root, "loop");
    link(&root.join(".env"), "unhidden.txt");
    link(std::path::Path::new("/nonexistent/x"), "broken");
    (parent, root)
}

/// Each path is a 404 that does not leak the secret.
fn assert_not_served(server: &Server, paths: &[&str]) {
    for path in paths {
        let r = server.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains(SECRET), "{path} leaked the secret");
    }
}

fn raw(server: &Server, target: &str) -> Response {
    server.request(&format!(
        "GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    ))
}

#[test]
fn traversal_in_every_spelling_is_refused() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &[]);
    for target in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/.%2e/secret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/..\\secret.txt",
        "/index.html%00.txt",
        "/%00",
        "/sub/./page.txt",
        "/%c0%ae%c0%ae/secret.txt",
    ] {
        let r = raw(&server, target);
        assert!(r.status == 400 || r.status == 404, "{target}: {}", r.status);
        assert!(!r.text().contains(SECRET), "{target} leaked the secret");
    }
    // Absolute-form and asterisk targets reach nothing outside either.
    let r = raw(&server, "http://t/../secret.txt");
    assert!(!r.text().contains(SECRET));
    assert!(!raw(&server, "*").text().contains(SECRET));
    assert_eq!(raw(&server, "/sub/page.txt").text(), "page");
}

#[test]
fn symlinks_are_confined_to_root() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &[]);
    assert_not_served(
        &server,
        &[
            "/escape.txt",
            "/relative-escape.txt",
            "/up/secret.txt",
            "/up/etc/passwd",
            "/broken",
            "/unhidden.txt",
            "/loop/index.html",
        ],
    );
    assert_eq!(server.get("/inside.txt").text(), "page");
    assert_eq!(server.get("/sub-link/page.txt").text(), "page");
    // A link back to ROOT is walked once, not forever; the server started.
    assert!(server.stdout.lock().unwrap()[0].contains("skipped"));
}

/// The Nix image's /web is a link to the site's store path: ROOT itself may be a
/// link to a directory, and what it holds is inside ROOT (not "links out of it").
#[test]
fn root_may_itself_be_a_link_to_a_directory() {
    let store = TempDir::new("store");
    store.write("site/web/index.html", "linked root");
    store.write("site/web/docs/a.txt", "a");
    std::os::unix::fs::symlink(
        store.0.join("site/web/docs/a.txt"),
        store.0.join("site/web/alias.txt"),
    )
    .unwrap();
    let image = TempDir::new("image");
    let web = image.0.join("web");
    std::os::unix::fs::symlink(store.0.join("site/web"), &web).unwrap();
    let server = Server::start(&web, &[]);
    assert_eq!(server.get("/").text(), "linked root");
    assert_eq!(server.get("/docs/a.txt").text(), "a");
    assert_eq!(
        server.get("/alias.txt").text(),
        "a",
        "a link inside the linked ROOT is inside"
    );
    let started = server.stdout.lock().unwrap()[0].clone();
    assert!(!started.contains("skipped"), "{started}");
}

#[test]
fn dotfiles_only_when_asked() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &[]);
    assert_not_served(
        &server,
        &[
            "/.env",
            "/.git/config",
            "/.git/",
            "/.well-known/.hidden",
            "/sub/.well-known/x.txt",
            "/%2eenv",
        ],
    );
    // ROOT's /.well-known/ is served by default (RFC 8615), and only that one.
    let r = server.get("/.well-known/security.txt");
    assert_eq!((r.status, r.text().as_str()), (200, "contact"));
    assert_eq!(server.get("/%2ewell-known/security.txt").text(), "contact");
    let open = Server::start(&root, &["--dotfiles"]);
    assert_eq!(open.get("/.env").status, 200);
    assert_eq!(open.get("/.well-known/security.txt").text(), "contact");
}

#[test]
fn malformed_requests_get_4xx_not_a_hang() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &["--max-header-size", "8K"]);
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(server.request(&huge).status, 431);
    let many: String = (0..200).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        server
            .request(&format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n"))
            .status,
        431
    );
    for garbage in [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(garbage.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{garbage:?}: {answer:?}"
        );
    }
    // Still serving.
    assert_eq!(server.get("/").status, 200);
}

/// Reads until EOF or error; returns what came and whether the peer closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true)
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

#[test]
fn slowloris_clients_are_cut_off_and_do_not_delay_others() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &["--header-timeout", "1s", "--no-access-log"]);
    // Hundreds of clients that start a request head and never finish it.
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    // A normal client is served while they hang on.
    let r = server.get("/sub/page.txt");
    assert_eq!(r.text(), "page");
    // Every slow client is disconnected once the header timeout passes.
    for s in slow.iter_mut().take(20) {
        let (answer, closed) = read_until_closed(s, Duration::from_secs(10));
        assert!(closed, "a slow client was not cut off");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    // A client that connects and says nothing is also cut off.
    let mut silent = server.connect();
    assert!(read_until_closed(&mut silent, Duration::from_secs(10)).1);
}

#[test]
fn idle_keep_alive_has_its_own_timeout() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &["--header-timeout", "1s", "--idle-timeout", "3s"]);
    let stream = server.connect();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let request = b"GET /sub/page.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    writer.write_all(request).unwrap();
    assert_eq!(Response::read(&mut reader, false).text(), "page");
    // Idle for longer than the header timeout but less than the idle timeout:
    // the connection is still open and serves the next request.
    std::thread::sleep(Duration::from_millis(1800));
    writer.write_all(request).unwrap();
    assert_eq!(Response::read(&mut reader, false).text(), "page");
    // Past the idle timeout it is closed.
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut writer, Duration::from_secs(10));
    assert!(closed);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "closed before the idle timeout"
    );
}

#[test]
fn connection_cap_holds_extra_clients_in_the_backlog() {
    let (_parent, root) = jailed_site();
    let server = Server::start(&root, &["--max-connections", "2", "--idle-timeout", "30s"]);
    let request = b"GET /sub/page.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..2 {
        let stream = server.connect();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        (&stream).write_all(request).unwrap();
        assert_eq!(Response::read(&mut reader, false).text(), "page");
        held.push(stream);
    }
    // A third connection is accepted by the kernel but not served while two are open.
    let mut third = server.connect();
    third.write_all(request).unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        third.read(&mut byte).is_err(),
        "served beyond the connection cap"
    );
    // Closing one frees a slot, and the waiting client is served.
    drop(held.pop());
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(third);
    assert_eq!(Response::read(&mut reader, false).text(), "page");
}
