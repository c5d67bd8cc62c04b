//! Test harness: the real `mote` binary on a loopback port, a temp web root of
//! real files, and a raw HTTP/1.1 client that sends exactly the bytes a test writes
//! (no client-side path normalisation, so hostile spellings reach the server).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The mote binary under test: this build's, or `MOTE_TEST_BIN` (the static
/// release build, an arm64 build under qemu-user, an older commit's binary to
/// show that a regression test fails there).
pub fn bin() -> String {
    std::env::var("MOTE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mote").to_string())
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("mote-test-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `rel` (creating parent directories) and returns its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running mote; killed on drop if still running.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<Vec<String>>>,
    /// The threads reading stdout and stderr; joined by `wait`, so that what mote
    /// wrote before it exited is all in `stdout`/`stderr` when `wait` returns.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts mote on `127.0.0.1:0` serving `root` with extra `args`.
    pub fn start(root: &Path, args: &[&str]) -> Server {
        Server::start_with(root, args, &[], "127.0.0.1:0")
    }

    pub fn start_with(root: &Path, args: &[&str], env: &[(&str, &str)], listen: &str) -> Server {
        Server::start_wrapped(&[], root, args, env, listen)
    }

    /// Starts mote through `wrapper` (e.g. `setpriv --reuid 65534 ...`), if any.
    pub fn start_wrapped(
        wrapper: &[&str],
        root: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        listen: &str,
    ) -> Server {
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(bin());
                command
            }
            None => Command::new(bin()),
        };
        command
            .arg("--listen")
            .arg(listen)
            .args(args)
            .arg(root)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn mote");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect_lines(child.stdout.take().unwrap(), stdout.clone()),
            collect_lines(child.stderr.take().unwrap(), stderr.clone()),
        ];
        // The first stdout line names the bound address: "... on http://ADDR: ...".
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = loop {
            if let Some(line) = stdout.lock().unwrap().first() {
                break listening_addr(line).expect("the start-up line names the address");
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("mote exited with {status}: {:?}", stderr.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "mote did not start");
            std::thread::sleep(Duration::from_millis(5));
        };
        Server {
            addr,
            child,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ))
    }

    /// GET with extra header lines (each "Name: value").
    pub fn get_with(&self, path: &str, headers: &[&str]) -> Response {
        self.method_with("GET", path, headers)
    }

    pub fn method_with(&self, method: &str, path: &str, headers: &[&str]) -> Response {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        self.request(&request)
    }

    /// Sends raw bytes on a new connection and reads one response.
    pub fn request(&self, raw: &str) -> Response {
        request_at(self.addr, raw)
    }

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        kill(self.pid(), name);
    }

    /// Waits for the process to exit (at most `limit`).
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let status = wait_exit(&mut self.child, limit);
        // The pipes reach their end now: read them to it.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        status
    }

    /// The admin listener's address, from its start-up line (waits for it).
    pub fn admin_addr(&self) -> SocketAddr {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.stdout.lock().unwrap().clone();
            if let Some(addr) = lines
                .iter()
                .filter(|line| line.contains("admin on http://"))
                .find_map(|line| listening_addr(line))
            {
                return addr;
            }
            assert!(Instant::now() < deadline, "no admin line: {lines:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The access log lines so far (stdout lines after the startup line).
    pub fn log_lines(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .skip(1)
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends signal `name` (TERM, INT, HUP) to `pid`.
pub fn kill(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Sends raw bytes to `addr` on a new connection and reads one response.
pub fn request_at(addr: SocketAddr, raw: &str) -> Response {
    let mut stream = connect(addr);
    stream.write_all(raw.as_bytes()).unwrap();
    Response::read(&mut BufReader::new(stream), raw.starts_with("HEAD "))
}

/// A GET of `path` with `headers` ("Name: value") sent to `addr`.
pub fn get_at(addr: SocketAddr, path: &str, headers: &[&str]) -> Response {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request_at(addr, &request)
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Where a relative `Location` leads from `request_path` (RFC 3986 §5.2, for the
/// `./name/` references mote sends).
pub fn resolve_location(request_path: &str, location: &str) -> String {
    if location.starts_with('/') {
        return location.to_string();
    }
    let base = &request_path[..request_path.rfind('/').map_or(0, |i| i + 1)];
    format!("{base}{}", location.strip_prefix("./").unwrap_or(location))
}

pub fn collect_lines(
    source: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            match line {
                Ok(line) => into.lock().unwrap().push(line),
                Err(_) => break,
            }
        }
    })
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Lower-case names; repeated headers joined with ", ".
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    /// Reads one response; the body by Content-Length (none for HEAD, 304).
    pub fn read(reader: &mut impl BufRead, head_request: bool) -> Response {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).expect("status line");
        assert!(
            status_line.starts_with("HTTP/1.1 ") || status_line.starts_with("HTTP/1.0 "),
            "bad status line {status_line:?}"
        );
        let status = status_line[9..12].parse().unwrap();
        let mut headers: HashMap<String, String> = HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers
                .entry(name.to_ascii_lowercase())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value.trim())
                })
                .or_insert_with(|| value.trim().to_string());
        }
        let mut body = Vec::new();
        if !head_request && status != 304 {
            if let Some(len) = headers.get("content-length") {
                body.resize(len.parse().unwrap(), 0);
                reader.read_exact(&mut body).unwrap();
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `len` bytes of a repeating pattern, so a cut or shifted transfer is caught.
pub fn patterned(len: u32, period: u32) -> Vec<u8> {
    (0..len).map(|i| (i % period) as u8).collect()
}

/// The address a start-up line names: `mote 0.1.0: serving ROOT on
/// http://ADDR: ...` (the site) or `mote: admin on http://ADDR: ...`.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split(" on http://").nth(1)?;
    rest.split(": ").next()?.parse().ok()
}

/// Waits for `child` to exit, failing the test after `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "mote did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// mote on `root` with `args`, its stdout on a pipe the test reads itself (not
/// drained by a thread: a test can stall it), and the address from its start-up
/// line.
pub fn spawn_with_stdout_pipe(
    root: &Path,
    args: &[&str],
) -> (Child, BufReader<std::process::ChildStdout>, SocketAddr) {
    let mut child = Command::new(bin())
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .arg(root)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = listening_addr(&line).expect("the start-up line names the address");
    (child, stdout, addr)
}

/// Runs mote on a loopback port with `args` (ROOT last) and checks that it
/// refuses to start: exit 1, with every one of `says` on stderr. Returns stderr.
pub fn refuses(args: &[&str], says: &[&str]) -> String {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let (code, _, stderr) = run_mote(&all, &[]);
    assert_eq!(code, Some(1), "{args:?}: {stderr}");
    for said in says {
        assert!(stderr.contains(said), "{args:?}: no {said:?} in {stderr}");
    }
    stderr
}

/// Runs mote with `args` to completion (for the usage and error paths). One
/// that is still running after 20 s (it started serving where it should have
/// refused) is killed and reported as exit `None`, so the test fails, not hangs.
pub fn run_mote(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut child = Command::new(bin())
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read_all = |mut source: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = source.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (code, stdout.join().unwrap(), stderr.join().unwrap())
}
