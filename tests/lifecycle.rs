//! The process as an operator sees it: start-up errors and exit codes, the
//! healthcheck subcommand, and graceful shutdown on SIGTERM/SIGINT.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use common::{run_mote, Server, TempDir};

fn small_site() -> TempDir {
    let root = TempDir::new("life");
    root.write("index.html", "ok");
    root
}

#[test]
fn help_and_version() {
    let (code, out, _) = run_mote(&["--help"], &[]);
    assert_eq!(code, Some(0));
    for flag in [
        "--listen",
        "--spa",
        "--dotfiles",
        "--no-access-log",
        "--header",
        "--cache-html",
        "--cache-hashed",
        "--cache-other",
        "--preload-limit",
        "--max-connections",
        "--max-header-size",
        "--header-timeout",
        "--idle-timeout",
        "--grace",
        "--workers",
        "healthcheck",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
    let (code, out, _) = run_mote(&["-V"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("mote {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    for (args, env, expect) in [
        (vec!["--bogus"], vec![], "--bogus"),
        (vec!["--listen", "not-an-address"], vec![], "--listen"),
        (vec!["--listen"], vec![], "--listen"),
        (vec!["--preload-limit", "12Q"], vec![], "--preload-limit"),
        (vec!["--grace", "soon"], vec![], "--grace"),
        (vec!["-H", "NoColon"], vec![], "--header"),
        (vec!["a", "b"], vec![], "only one ROOT"),
        (
            vec![],
            vec![("MOTE_IDLE_TIMEOUT", "forever")],
            "MOTE_IDLE_TIMEOUT",
        ),
        (vec![], vec![("MOTE_SPA", "maybe")], "MOTE_SPA"),
    ] {
        let (code, _, err) = run_mote(&args, &env);
        assert_eq!(code, Some(2), "{args:?} {env:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn runtime_errors_exit_1() {
    let (code, _, err) = run_mote(&["--listen", "127.0.0.1:0", "/nonexistent/web/root"], &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("/nonexistent/web/root") && err.contains("No such file"),
        "{err}"
    );

    let root = small_site();
    let file = root.path().join("index.html");
    let (code, _, err) = run_mote(&["--listen", "127.0.0.1:0", file.to_str().unwrap()], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("not a directory"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = run_mote(&["--listen", &addr, root.path().to_str().unwrap()], &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("address already in use") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn healthcheck_exit_codes() {
    let root = small_site();
    root.write("sub/index.html", "sub");
    let server = Server::start(root.path(), &[]);
    let base = format!("http://{}", server.addr);
    assert_eq!(
        run_mote(&["healthcheck", &format!("{base}/")], &[]).0,
        Some(0)
    );
    // A redirect is healthy, a 404 is not.
    assert_eq!(
        run_mote(&["healthcheck", &format!("{base}/sub")], &[]).0,
        Some(0)
    );
    let (code, _, err) = run_mote(&["healthcheck", &format!("{base}/missing")], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("404"), "{err}");
    // The default URL comes from MOTE_LISTEN, with 0.0.0.0 probed over loopback.
    let listen = format!("0.0.0.0:{}", server.addr.port());
    assert_eq!(
        run_mote(&["healthcheck"], &[("MOTE_LISTEN", &listen)]).0,
        Some(0)
    );

    // Nothing listening: exit 1 with the reason.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, _, err) = run_mote(&["healthcheck", &format!("http://{free}/")], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot connect"), "{err}");
    let (code, _, err) = run_mote(&["healthcheck", "https://example.invalid/"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("http://"), "{err}");

    // A server that accepts but never answers: exit 1 within the 2 s deadline.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let started = Instant::now();
    let (code, _, err) = run_mote(&["healthcheck", &url], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no answer"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the probe must give up by itself"
    );
}

#[test]
fn sigterm_lets_a_download_in_flight_finish_then_exits_0() {
    let root = TempDir::new("term");
    let big = common::patterned(8_000_000, 253);
    root.write("big.bin", &big);
    root.write("small.txt", "small");
    let mut server = Server::start(
        root.path(),
        &["--preload-limit", "1M", "--grace", "20s", "--workers", "1"],
    );

    let mut stream = server.connect();
    stream
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    // Read a little, so the response is truly in flight, then ask mote to stop.
    let mut body = vec![0u8; 64 * 1024];
    reader.read_exact(&mut body).unwrap();
    server.signal("TERM");
    // New connections are refused once the listener is closed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(server.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The download completes, byte for byte.
    reader.read_to_end(&mut body).unwrap();
    assert!(
        body == big,
        "the in-flight download was cut at {} bytes",
        body.len()
    );
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
    let out = server.stdout.lock().unwrap().join("\n");
    assert!(out.contains("SIGTERM received"), "{out}");
    // The buffered access log is written out before exit, with every byte counted.
    assert!(out.contains(" GET /big.bin 200 8000000 "), "{out}");
}

#[test]
fn grace_period_bounds_shutdown_and_sigint_works() {
    let root = TempDir::new("grace");
    // Larger than every socket buffer between here and the client can absorb.
    let big = vec![b'x'; 64_000_000];
    root.write("big.bin", &big);
    let mut server = Server::start(root.path(), &["--grace", "1s"]);
    // A client that never reads: its response cannot finish.
    let mut stuck = server.connect();
    stuck
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.signal("INT");
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "exited before the grace period: {took:?}"
    );
    let out = server.stdout.lock().unwrap().join("\n");
    assert!(
        out.contains("SIGINT received") && out.contains("grace period over"),
        "{out}"
    );
    drop(stuck);

    // With nothing in flight, shutdown is immediate.
    let mut idle = Server::start(root.path(), &["--grace", "30s"]);
    let _kept_alive = {
        let s = idle.connect();
        (&s).write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        s
    };
    std::thread::sleep(Duration::from_millis(100));
    idle.signal("TERM");
    assert_eq!(idle.wait(Duration::from_secs(5)).code(), Some(0));
}

/// SIGQUIT, the STOPSIGNAL of the nginx and static-web-server images, drains
/// and exits 0 like SIGTERM (it killed mote at once before).
#[test]
fn sigquit_drains_like_sigterm() {
    let root = small_site();
    let mut server = Server::start(root.path(), &[]);
    assert_eq!(server.get("/").status, 200);
    server.signal("QUIT");
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
    let out = server.stdout.lock().unwrap().join("\n");
    assert!(out.contains("SIGQUIT received"), "{out}");
}
