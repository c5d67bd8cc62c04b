//! examples/axum_app.rs over real TCP: an axum application of its own with mote
//! mounted in it.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{get_at, TempDir};

/// The example's binary, built by `cargo test` beside the test binaries (and
/// built here when a filtered run skipped it).
fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let profile_dir = deps.parent().unwrap().parent().unwrap();
    let binary = profile_dir.join("examples/axum_app");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--example", "axum_app"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(
            build.status().unwrap().success(),
            "cargo build --example axum_app"
        );
    }
    binary
}

#[test]
fn the_example_app_serves_its_route_and_the_site() {
    let root = TempDir::new("example");
    root.write("index.html", "<h1>example</h1>");
    root.write("css/site.css", "body{}");
    let mut child = Command::new(example_binary())
        .arg(root.path())
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    common::collect_lines(child.stdout.take().unwrap(), lines.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        if let Some(line) = lines.lock().unwrap().first() {
            break line.rsplit("http://").next().unwrap().parse().unwrap();
        }
        assert!(Instant::now() < deadline, "the example did not start");
        std::thread::sleep(Duration::from_millis(10));
    };

    let r = get_at(addr, "/api/status", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let status: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(status["files"], 2);

    let r = get_at(addr, "/static/css/site.css", &[]);
    assert_eq!((r.status, r.text().as_str()), (200, "body{}"));
    let etag = r.header("etag").unwrap().to_string();
    let r = get_at(
        addr,
        "/static/css/site.css",
        &[&format!("If-None-Match: {etag}")],
    );
    assert_eq!(r.status, 304);
    let r = get_at(addr, "/static/css", &[]);
    assert_eq!(r.status, 308);
    let location = common::resolve_location("/static/css", r.header("location").unwrap());
    assert_eq!(location, "/static/css/");
    assert_eq!(get_at(addr, "/", &[]).text(), "<h1>example</h1>");
    assert_eq!(get_at(addr, "/nope", &[]).status, 404);

    let _ = child.kill();
    let _ = child.wait();
}
