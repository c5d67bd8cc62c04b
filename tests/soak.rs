//! A bounded black-box soak: many valid clients, slow readers, slowloris clients,
//! half-closers and a stalled log pipe at once, then SIGTERM with a download in
//! flight. Valid requests never see a 5xx or an error, descriptors do not grow,
//! RSS stays bounded, every in-flight response completes and mote exits 0.
//!
//! `MOTE_SOAK_SECONDS` sets the length (default 5; CI runs 60).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{patterned, Response, TempDir};

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Reads a whole response body from `path`, `chunk` bytes at a time with `pause`
/// between reads; true if every byte matched `expected` (or `stop` was set
/// before the end: the client gave up, which is no failure of the server).
fn download(
    addr: SocketAddr,
    path: &str,
    expected: &[u8],
    chunk: usize,
    pause: Duration,
    stop: Option<&AtomicBool>,
) -> bool {
    let mut stream = common::connect(addr);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::with_capacity(chunk, stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    if !line.starts_with("HTTP/1.1 200") {
        return false;
    }
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    let mut body = Vec::with_capacity(expected.len());
    let mut buf = vec![0u8; chunk];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(_) => return false,
        }
        if stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
            return expected.starts_with(&body);
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    body == expected
}

#[test]
fn soak_mixed_clients_then_sigterm() {
    let seconds: u64 = std::env::var("MOTE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let root = TempDir::new("soak");
    let big = patterned(5_000_000, 247);
    root.write("index.html", "<h1>soak</h1>");
    root.write("asset.js", patterned(100_000, 61));
    root.write("big.bin", &big);
    // The log pipe is read for the start-up line and then never again: it stalls.
    let (mut child, stdout, addr) = common::spawn_with_stdout_pipe(
        root.path(),
        &["--header-timeout", "2s", "--send-timeout", "5s"],
    );
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(200));
    let fds_before = fds(pid);
    let rss_before = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();

    // Valid keep-alive clients: pages, assets, ranges, revalidation, HEAD, 404.
    for client in 0..12 {
        let (stop, ok, bad) = (stop.clone(), ok.clone(), bad.clone());
        threads.push(std::thread::spawn(move || {
            let requests = [
                ("GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 200),
                (
                    "GET /asset.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n",
                    200,
                ),
                (
                    "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=100-199\r\n\r\n",
                    206,
                ),
                ("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n", 200),
                ("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n", 404),
                (
                    "GET /asset.js HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n",
                    304,
                ),
            ];
            let mut i = client;
            while !stop.load(Ordering::Relaxed) {
                let stream = common::connect(addr);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                for _ in 0..50 {
                    let (request, expected) = requests[i % requests.len()];
                    i += 1;
                    if writer.write_all(request.as_bytes()).is_err() {
                        bad.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    let r = Response::read(&mut reader, request.starts_with("HEAD"));
                    if r.status == expected {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        eprintln!("soak: {request:?} -> {} (expected {expected})", r.status);
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // Slow readers: the big file at about 200 KB/s each. (They found that the send
    // timeout cut steady slow readers: the kernel wakes a blocked writer only once
    // a third of a large send buffer is free; see server/timeouts.rs.)
    for _ in 0..4 {
        let (stop, ok, bad, big) = (stop.clone(), ok.clone(), bad.clone(), big.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match download(
                    addr,
                    "/big.bin",
                    &big,
                    64 * 1024,
                    Duration::from_millis(300),
                    Some(&stop),
                ) {
                    true => ok.fetch_add(1, Ordering::Relaxed),
                    false => {
                        eprintln!("soak: a slow reader's download failed");
                        bad.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    // Slowloris: a byte of the head every 500 ms; the header timeout cuts them.
    for _ in 0..20 {
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut stream = common::connect(addr);
                for &b in b"GET / HTTP/1.1\r\nX-Slow: yes" {
                    if stop.load(Ordering::Relaxed) || stream.write_all(&[b]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }));
    }
    // Half-closers.
    for _ in 0..2 {
        let (stop, ok, bad) = (stop.clone(), ok.clone(), bad.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut stream = common::connect(addr);
                stream
                    .write_all(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
                    .unwrap();
                stream.shutdown(Shutdown::Write).unwrap();
                let r = Response::read(&mut BufReader::new(stream), false);
                match r.status {
                    200 => ok.fetch_add(1, Ordering::Relaxed),
                    status => {
                        eprintln!("soak: a half-closer got {status}");
                        bad.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }

    let started = Instant::now();
    let mut rss_max = rss_before;
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(250));
        rss_max = rss_max.max(rss_kib(pid));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    // Connections the clients closed are gone once the server saw the close.
    std::thread::sleep(Duration::from_millis(500));
    let fds_after = fds(pid);

    // SIGTERM with a download in flight at full speed: it completes.
    let (in_flight_tx, in_flight_rx) = std::sync::mpsc::channel();
    let in_flight = {
        let big = big.clone();
        std::thread::spawn(move || {
            in_flight_tx.send(()).unwrap();
            download(
                addr,
                "/big.bin",
                &big,
                16 * 1024,
                Duration::from_millis(5),
                None,
            )
        })
    };
    in_flight_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let completed = in_flight.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "mote did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };

    let (ok, bad) = (ok.load(Ordering::Relaxed), bad.load(Ordering::Relaxed));
    eprintln!(
        "soak {seconds}s: {ok} good responses, {bad} bad; fds {fds_before} -> {fds_after}; \
         RSS {rss_before} KiB -> max {rss_max} KiB"
    );
    assert_eq!(bad, 0, "valid requests that failed");
    assert!(ok > 100, "the soak ran ({ok} responses)");
    assert!(
        fds_after <= fds_before + 4,
        "descriptors grew: {fds_before} -> {fds_after}"
    );
    assert!(
        rss_max < rss_before + 64 * 1024,
        "RSS grew: {rss_before} -> {rss_max} KiB"
    );
    assert!(completed, "the download in flight at SIGTERM completed");
    assert_eq!(status.code(), Some(0));
    drop(stdout);
}
