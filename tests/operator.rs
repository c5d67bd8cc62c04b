//! What operators ask for: the admin listener, readiness through a
//! rollout, metrics, the drain delay.

mod common;

use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{get_at, run_mote, Response, Server, TempDir};

/// The admin address from its start-up line.
fn admin_addr(server: &Server) -> SocketAddr {
    server.admin_addr()
}

fn site() -> TempDir {
    let root = TempDir::new("operator");
    root.write("index.html", "<h1>home</h1>");
    root.write("app.js", "let a = 1;\n".repeat(50));
    root.write("app.js.br", "BR");
    root
}

#[test]
fn admin_listener_answers_livez_readyz_metrics_and_never_the_site() {
    let root = site();
    let server = Server::start(root.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&server);
    assert_eq!(get_at(admin, "/livez", &[]).status, 200);
    assert_eq!(get_at(admin, "/readyz", &[]).text(), "ready\n");
    // The site is not on the admin port.
    assert_eq!(get_at(admin, "/", &[]).status, 404);
    assert_eq!(get_at(admin, "/index.html", &[]).status, 404);

    assert_eq!(server.get("/").status, 200);
    assert_eq!(
        server.get_with("/app.js", &["Accept-Encoding: br"]).text(),
        "BR"
    );
    assert_eq!(server.get("/missing").status, 404);
    std::thread::sleep(Duration::from_millis(100));
    let m = get_at(admin, "/metrics", &[]);
    assert_eq!(
        m.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = m.text();
    for expected in [
        "mote_requests_total{method=\"GET\",status=\"2xx\"} 2",
        "mote_requests_total{method=\"GET\",status=\"4xx\"} 1",
        "mote_responses_by_coding_total{coding=\"br\"} 1",
        "mote_site_files 2",
        "# TYPE mote_connections_open gauge",
        "mote_build_info{version=",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    // Admin requests are neither logged nor counted.
    // The log is written out every second.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log: Vec<String> = server
            .log_lines()
            .into_iter()
            .filter(|l| !l.starts_with("mote:"))
            .collect();
        if log.len() >= 3 || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(log.len(), 3, "the three site requests: {log:?}");
    assert!(
        log.iter()
            .all(|l| !l.contains("/livez") && !l.contains("/metrics")),
        "{log:?}"
    );
    assert!(!text.contains("status=\"5xx\"} 1"));
}

#[test]
fn healthcheck_probes_livez_when_there_is_an_admin_listener() {
    // A site with no index: / is a 404, so only /livez can say it is alive.
    let root = TempDir::new("noindex");
    root.write("a.txt", "a");
    let server = Server::start(root.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&server);
    let listen = server.addr.to_string();
    let (code, _, stderr) = run_mote(&["healthcheck"], &[("MOTE_LISTEN", &listen)]);
    assert_eq!(code, Some(1), "/ is a 404 here: {stderr}");
    let (code, _, stderr) = run_mote(
        &["healthcheck"],
        &[("MOTE_LISTEN", &listen), ("MOTE_ADMIN", &admin.to_string())],
    );
    assert_eq!(code, Some(0), "{stderr}");
}

/// Kubernetes' rollout: SIGTERM -> /readyz 503 at once while the site is still
/// served (Connection: close) for the drain delay; a client that stops using this
/// replica once /readyz says 503 (as a load balancer does) sees zero errors.
#[test]
fn a_rollout_with_a_drain_delay_loses_no_request() {
    let root = site();
    let mut server = Server::start(
        root.path(),
        &[
            "--admin",
            "127.0.0.1:0",
            "--drain-delay",
            "2s",
            "--grace",
            "5s",
        ],
    );
    let admin = admin_addr(&server);
    let addr = server.addr;
    let hammer = std::thread::spawn(move || {
        let (mut ok, mut errors, mut closes) = (0u32, 0u32, 0u32);
        let mut ready_gone: Option<Instant> = None;
        let mut last_probe = Instant::now();
        'outer: loop {
            let stream = common::connect(addr);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            loop {
                // The "load balancer": probes /readyz every 100 ms and stops routing
                // here 300 ms after it first says 503.
                if last_probe.elapsed() > Duration::from_millis(100) {
                    last_probe = Instant::now();
                    if ready_gone.is_none() && get_at(admin, "/readyz", &[]).status == 503 {
                        ready_gone = Some(Instant::now());
                    }
                }
                if ready_gone.is_some_and(|t| t.elapsed() > Duration::from_millis(300)) {
                    break 'outer;
                }
                if writer
                    .write_all(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
                    .is_err()
                {
                    errors += 1;
                    continue 'outer;
                }
                let r = Response::read(&mut reader, false);
                match r.status {
                    200 => ok += 1,
                    _ => errors += 1,
                }
                if r.header("connection") == Some("close") {
                    closes += 1;
                    continue 'outer;
                }
            }
        }
        (ok, errors, closes)
    });
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    server.signal("TERM");
    let (ok, errors, closes) = hammer.join().unwrap();
    assert!(ok > 100, "{ok}");
    assert_eq!(errors, 0);
    assert!(
        closes > 0,
        "responses during the drain carry Connection: close"
    );
    // Still serving within the delay, then the listener closes and mote exits 0.
    assert_eq!(server.get("/index.html").status, 200);
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "the delay was kept"
    );
}

/// An unreadable file or directory inside ROOT is skipped with a warning naming
/// it, and counted, instead of refusing to start. ROOT itself must
/// be readable (tests/lifecycle.rs: exit 1).
#[test]
fn unreadable_files_and_directories_are_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let root = TempDir::new("unreadable");
    root.write("index.html", "home");
    root.write("secret.txt", "x");
    root.write("locked/inner.txt", "y");
    // An unreadable precompressed sibling costs only itself: app.js is served.
    root.write("app.js", "let a = 1;\n".repeat(100));
    root.write("app.js.gz", "smaller");
    std::fs::set_permissions(
        root.0.join("app.js.gz"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        root.0.join("secret.txt"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        root.0.join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // Root reads everything: run mote as nobody, as the image does.
    // SAFETY: geteuid has no preconditions.
    let wrapper: &[&str] = if unsafe { libc_geteuid() } == 0 {
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
    } else {
        &[]
    };
    let server = Server::start_wrapped(wrapper, root.path(), &[], &[], "127.0.0.1:0");
    let started = server.stdout.lock().unwrap()[0].clone();
    assert!(
        started.contains("2 files") && started.contains("skipped 3 unreadable"),
        "{started}"
    );
    assert_eq!(server.get("/index.html").text(), "home");
    let script = server.get_with("/app.js", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (script.status, script.header("content-encoding")),
        (200, None)
    );
    assert_eq!(script.text().len(), 1100);
    assert_eq!(server.get("/secret.txt").status, 404);
    std::thread::sleep(Duration::from_millis(200));
    let stderr = server.stderr.lock().unwrap().join("\n");
    assert!(
        stderr.contains("secret.txt") && stderr.contains("locked") && stderr.contains("app.js.gz"),
        "{stderr}"
    );
    for path in ["secret.txt", "locked", "app.js.gz"] {
        std::fs::set_permissions(root.0.join(path), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// `--log-format json`: one object per line with the request's details.
#[test]
fn json_access_log_lines() {
    let root = site();
    let server = Server::start(root.path(), &["--log-format", "json"]);
    let r = server.get_with(
        "/app.js?v=1",
        &[
            "User-Agent: test \"agent\"\t1",
            "Referer: https://ref.example/",
            "X-Forwarded-For: 203.0.113.9, 10.0.0.1",
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(server.get("/missing").status, 404);
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines = loop {
        let lines = server.log_lines();
        if lines.len() >= 2 || Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let first: serde_json::Value = serde_json::from_str(&lines[0]).expect("a JSON object per line");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/app.js");
    assert_eq!(first["query"], true);
    assert_eq!(first["status"], 200);
    assert_eq!(first["bytes"], 550);
    assert_eq!(first["client"], "127.0.0.1");
    assert_eq!(first["user_agent"], "test \"agent\"\t1");
    assert_eq!(first["referer"], "https://ref.example/");
    assert_eq!(first["x_forwarded_for"], "203.0.113.9, 10.0.0.1");
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(
        (second["status"].as_u64(), second["query"].as_bool()),
        (Some(404), Some(false))
    );
    assert!(second["user_agent"].is_null());
}

/// Malformed requests and timeouts are counted and summed up on stderr at most
/// once a second, not logged one line each.
#[test]
fn bad_requests_and_timeouts_are_summarised() {
    let root = site();
    let server = Server::start(
        root.path(),
        &[
            "--admin",
            "127.0.0.1:0",
            "--header-timeout",
            "1s",
            "--no-access-log",
        ],
    );
    let admin = admin_addr(&server);
    for _ in 0..5 {
        let r = server.request("GARBAGE\r\n\r\n");
        assert_eq!(r.status, 400);
    }
    let big = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(server.request(&big).status, 431);
    let _slow = server.connect(); // says nothing: cut by the header timeout
    std::thread::sleep(Duration::from_millis(2_500));
    let text = get_at(admin, "/metrics", &[]).text();
    assert!(text.contains("mote_connection_errors_total 7"), "{text}");
    let stderr = server.stderr.lock().unwrap().join("\n");
    let summaries = stderr
        .lines()
        .filter(|l| l.contains("ended by a timeout or a malformed request"))
        .count();
    assert!(
        (1..=3).contains(&summaries),
        "a summary, not a line each: {stderr}"
    );
    assert!(stderr.contains("7 since start"), "{stderr}");
}

/// Idle connections to the admin port cannot keep a probe out: the admin
/// listener has its own short timeouts and closes its oldest connection for a
/// new one (64 kept-alive connections held /livez for 60 s).
#[test]
fn idle_connections_cannot_starve_the_admin_probes() {
    let root = site();
    let server = Server::start(root.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&server);
    // 100 connections, each with one request sent and then kept alive, silent.
    let idle: Vec<_> = (0..100)
        .map(|_| {
            let mut stream = common::connect(admin);
            stream
                .write_all(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    for path in ["/livez", "/readyz", "/livez"] {
        let mut stream = common::connect(admin);
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let r = Response::read(&mut BufReader::new(stream), false);
        assert_eq!(
            r.status, 200,
            "{path} with 100 kept-alive admin connections open"
        );
    }
    drop(idle);
}

/// When the listener closes at the end of the drain, no connection the kernel
/// had accepted is reset: new handshakes are refused first, the queue is served.
#[test]
fn closing_the_listener_resets_no_queued_connection() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let root = site();
    let mut server = Server::start(root.path(), &["--drain-delay", "1s", "--grace", "5s"]);
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut ok, mut reset, mut refused) = (0u32, Vec::new(), 0u32);
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut stream) =
                        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))
                    else {
                        refused += 1;
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let sent = stream.write_all(
                        b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                    );
                    let mut reply = Vec::new();
                    let read = std::io::Read::read_to_end(&mut stream, &mut reply);
                    match (sent, read) {
                        (Ok(()), Ok(_)) if reply.starts_with(b"HTTP/1.1 200") => ok += 1,
                        (sent, read) => {
                            reset.push(format!("{sent:?} {read:?} {} bytes", reply.len()))
                        }
                    }
                }
                (ok, reset, refused)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(2500));
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut reset, mut refused) = (0, Vec::new(), 0);
    for client in clients {
        let (o, r, f) = client.join().unwrap();
        ok += o;
        reset.extend(r);
        refused += f;
    }
    assert!(ok > 100, "{ok} answered");
    assert!(
        refused > 0,
        "the listener was closed while clients were connecting"
    );
    assert!(
        reset.is_empty(),
        "{} connections accepted, then cut: {:?}",
        reset.len(),
        &reset[..reset.len().min(5)]
    );
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
}

/// The oldest admin connection is closed at once when a new one is over the
/// budget, also one that never sent a request: idle connections cannot pile up
/// (each costs a descriptor) for even the admin port's 2 s header timeout.
#[test]
fn admin_connections_over_the_budget_close_the_oldest_at_once() {
    let root = site();
    let server = Server::start(root.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&server);
    let silent: Vec<_> = (0..40).map(|_| common::connect(admin)).collect();
    // 40 over a budget of 32: the first 8 are closed now, not in 2 s.
    let mut oldest = &silent[0];
    oldest
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut byte = [0u8; 1];
    let read = std::io::Read::read(&mut oldest, &mut byte);
    assert!(
        matches!(read, Ok(0)),
        "the oldest connection was not closed: {read:?}"
    );
    assert_eq!(get_at(admin, "/livez", &[]).status, 200);
}
