//! `mote healthcheck [URL]`: the probe for images with no shell and no curl.
//!
//! A minimal HTTP/1.1 GET over a blocking `TcpStream` (no runtime needed), the whole
//! exchange bounded by one 2 s deadline. Without a URL it probes `/livez` on the
//! admin listener when `MOTE_ADMIN` is set, else `/` on `MOTE_LISTEN`. Exit 0 on a 2xx or 3xx status, else print
//! why on stderr and exit 1, as Docker's HEALTHCHECK expects.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::config::{default_listen, opt, parse_listen, Key};

const DEADLINE: Duration = Duration::from_secs(2);

/// Runs the probe; returns the exit code.
pub fn run(url: Option<String>) -> u8 {
    let variable = |key| std::env::var(opt(key).env());
    let url = url.unwrap_or_else(|| match variable(Key::Admin) {
        // With an admin listener, liveness is its /livez (the site's / may be
        // anything, even a 404 for a site with no index).
        Ok(admin) if !admin.trim().is_empty() => format!("{}livez", default_url(Some(&admin))),
        _ => default_url(variable(Key::Listen).ok().as_deref()),
    });
    match probe(&url, DEADLINE) {
        Ok(_) => 0,
        Err(why) => {
            // Not eprintln!: a closed stderr must not turn "unhealthy" into a panic.
            let _ = writeln!(std::io::stderr(), "mote healthcheck: {url}: {why}");
            1
        }
    }
}

/// `http://<host>:<port>/`, from the address mote listens on: an unspecified
/// address (`0.0.0.0`, or `[::]`, which mote makes dual-stack or replaces with
/// `0.0.0.0` where there is no IPv6) is probed over IPv4 loopback, which answers
/// in every case.
pub fn default_url(listen: Option<&str>) -> String {
    let listen = listen
        .and_then(|l| parse_listen(l.trim()).ok())
        .unwrap_or_else(default_listen);
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, listen.port()))
}

/// GETs `url` and returns its status if it is 2xx or 3xx.
pub fn probe(url: &str, limit: Duration) -> Result<u16, String> {
    let deadline = Instant::now() + limit;
    let (authority, path, addr) = target(url)?;
    let remaining = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let mut stream = TcpStream::connect_timeout(&addr, remaining())
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(remaining()))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: mote-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let line = status_line(&mut stream, deadline, limit)?;
    let status: u16 = line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            format!(
                "not an HTTP response: {:?}",
                line.lines().next().unwrap_or("")
            )
        })?;
    match status {
        200..=399 => Ok(status),
        _ => Err(format!("unhealthy status {status}")),
    }
}

/// An `http://host[:port]/path` URL's authority, path and address. The host is an
/// IP address or `localhost` (127.0.0.1): a probe talks to its own container, and
/// the C library's DNS resolver would be 20 KB of the binary (a tenth of what a
/// packed image pulls) for names nobody probes.
fn target(url: &str) -> Result<(&str, &str, SocketAddr), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err("no host in URL".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port),
        _ => (authority, "80"),
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("'{port}' is not a port number"))?;
    let ip: IpAddr = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        host => host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse()
            .map_err(|_| {
                format!("the host '{host}' must be an IP address or localhost (no DNS lookups)")
            })?,
    };
    Ok((authority, path, SocketAddr::new(ip, port)))
}

/// The response's first line ("HTTP/1.1 200 OK"), read before `deadline`: all
/// a probe needs.
fn status_line(
    stream: &mut TcpStream,
    deadline: Instant,
    limit: Duration,
) -> Result<String, String> {
    let mut head = Vec::with_capacity(64);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no answer within {limit:?}"));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => return Err("connection closed before a status line".into()),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no answer within {limit:?}"));
            }
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_urls() {
        assert_eq!(default_url(None), "http://127.0.0.1:8080/");
        assert_eq!(default_url(Some("[::1]:8080")), "http://[::1]:8080/");
        assert_eq!(default_url(Some("0.0.0.0:9000")), "http://127.0.0.1:9000/");
        assert_eq!(default_url(Some("[::]:8080")), "http://127.0.0.1:8080/");
        assert_eq!(default_url(Some("127.0.0.2:81")), "http://127.0.0.2:81/");
        assert_eq!(default_url(Some("9090")), "http://127.0.0.1:9090/");
        assert_eq!(default_url(Some("garbage")), "http://127.0.0.1:8080/");
    }

    #[test]
    fn bad_urls() {
        assert!(probe("https://x/", DEADLINE)
            .unwrap_err()
            .contains("http://"));
        assert!(probe("http:///x", DEADLINE)
            .unwrap_err()
            .contains("no host"));
        assert!(probe("http://web:8080/", DEADLINE)
            .unwrap_err()
            .contains("the host 'web' must be an IP address or localhost"));
        assert!(probe("http://[::1]:x/", DEADLINE)
            .unwrap_err()
            .contains("'x' is not a port"));
    }

    #[test]
    fn hosts_are_addresses() {
        let addr = |url| target(url).map(|(_, _, addr)| addr.to_string());
        assert_eq!(
            addr("http://localhost:9090/livez"),
            Ok("127.0.0.1:9090".into())
        );
        assert_eq!(addr("http://[::1]:81/"), Ok("[::1]:81".into()));
        assert_eq!(addr("http://10.0.0.7"), Ok("10.0.0.7:80".into()));
        assert_eq!(addr("http://[::1]/"), Ok("[::1]:80".into()));
    }
}
