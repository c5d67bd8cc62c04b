//! Command line and `MOTE_*` environment -> a validated [`Config`].
//!
//! Every option can come from a flag or from its environment variable (the flag's
//! name in upper case with `-` as `_`, prefixed `MOTE_`); a flag wins. Values are
//! validated once here, so the rest of the program never sees a malformed one, and
//! every message names where the bad value came from.

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};

/// The default port, for `--listen` and for `mote healthcheck`.
pub const DEFAULT_PORT: u16 = 8080;

pub const HELP: &str = "\
mote: serve a baked, immutable web root from memory

USAGE:
    mote [OPTIONS] [ROOT]
    mote healthcheck [URL]

ROOT defaults to $MOTE_ROOT, else /web if it exists, else the current directory.
Every option can also be set with its environment variable; a flag wins.

OPTIONS:
    -l, --listen ADDR:PORT      Address to listen on [env MOTE_LISTEN, default 0.0.0.0:8080]
                                (a bare PORT means 0.0.0.0:PORT; [::]:8080 for IPv6)
        --spa                   Serve /index.html for unknown paths that do not look like
                                files (no '.' in the last segment) [env MOTE_SPA]
        --dotfiles              Serve files and directories whose names start with '.'
                                [env MOTE_DOTFILES]
        --no-access-log         Do not log a line per request to stdout [env MOTE_NO_ACCESS_LOG]
    -H, --header 'NAME: VALUE'  Add a header to every response; repeatable
                                [env MOTE_HEADER, one header per line]
        --cache-html VALUE      Cache-Control for HTML [env MOTE_CACHE_HTML, default no-cache]
        --cache-hashed VALUE    Cache-Control for names carrying a content hash, like
                                app.3f9a1c2e.js [env MOTE_CACHE_HASHED,
                                default public, max-age=31536000, immutable]
        --cache-other VALUE     Cache-Control for everything else
                                [env MOTE_CACHE_OTHER, default public, max-age=3600]
        --preload-limit SIZE    Hold files up to SIZE in memory; larger ones are streamed
                                from disk [env MOTE_PRELOAD_LIMIT, default 4MiB]
        --max-connections N     Connections served at once; more wait in the backlog
                                [env MOTE_MAX_CONNECTIONS, default 4096]
        --max-header-size SIZE  Largest request head accepted, else 431
                                [env MOTE_MAX_HEADER_SIZE, default 16KiB, min 8KiB]
        --header-timeout DUR    Time a client has to send a request head
                                [env MOTE_HEADER_TIMEOUT, default 10s]
        --idle-timeout DUR      Time a kept-alive connection may sit idle between requests
                                [env MOTE_IDLE_TIMEOUT, default 60s]
        --grace DUR             On SIGTERM/SIGINT, time in-flight responses get to finish
                                [env MOTE_GRACE, default 10s]
        --workers N             Worker threads [env MOTE_WORKERS, default: one per CPU]
    -h, --help                  Print this help
    -V, --version               Print the version

SIZE is bytes, or a number with K, M or G (KiB, MiB, GiB), e.g. 512K, 4MiB.
DUR is seconds, or a number with ms, s or m, e.g. 500ms, 10s, 2m.
Booleans in the environment: 1/true/yes/on or 0/false/no/off.

HEALTHCHECK:
    mote healthcheck [URL]      GET URL (default http://127.0.0.1:<port of MOTE_LISTEN>/);
                                exit 0 on a 2xx/3xx answer within 2s, else print why, exit 1.

EXIT CODES:
    0 clean shutdown, 1 runtime error (missing root, address in use), 2 usage error.
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Serve(Box<Config>),
    Healthcheck { url: Option<String> },
    Help,
    Version,
}

/// A usage error: a bad flag or a malformed value. Exit code 2.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Cache-Control values by kind of file.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    pub html: HeaderValue,
    pub hashed: HeaderValue,
    pub other: HeaderValue,
}

/// Everything the server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub listen: SocketAddr,
    pub spa: bool,
    pub dotfiles: bool,
    pub access_log: bool,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub cache: CachePolicy,
    pub preload_limit: u64,
    pub max_connections: usize,
    pub max_header_size: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub grace: Duration,
    pub workers: usize,
}

/// One option's raw value and where it came from, for error messages.
struct Raw {
    value: String,
    source: String,
}

/// Parses `args` (without the program name), reading `MOTE_*` through `env`.
pub fn parse<I>(args: I, env: impl Fn(&str) -> Option<String>) -> Result<Command, UsageError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut flags: Vec<(&'static str, Raw)> = Vec::new();
    let mut headers: Vec<Raw> = Vec::new();
    let mut root: Option<String> = None;
    let mut first_positional = true;

    while let Some(arg) = parser.next().map_err(usage)? {
        let name: &'static str = match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Value(value) if first_positional && value == "healthcheck" => {
                return parse_healthcheck(parser);
            }
            Value(value) => {
                if root.is_some() {
                    return Err(UsageError(format!(
                        "unexpected argument '{}': only one ROOT can be served",
                        value.to_string_lossy()
                    )));
                }
                root = Some(os_string(value, "ROOT")?);
                first_positional = false;
                continue;
            }
            Long("spa") | Long("dotfiles") | Long("no-access-log") => {
                let name = match arg {
                    Long("spa") => "spa",
                    Long("dotfiles") => "dotfiles",
                    _ => "no-access-log",
                };
                flags.push((name, flag_raw(name, "true".into())));
                continue;
            }
            Short('H') | Long("header") => {
                let value = os_string(parser.value().map_err(usage)?, "--header")?;
                headers.push(flag_raw("header", value));
                continue;
            }
            Short('l') | Long("listen") => "listen",
            Long("cache-html") => "cache-html",
            Long("cache-hashed") => "cache-hashed",
            Long("cache-other") => "cache-other",
            Long("preload-limit") => "preload-limit",
            Long("max-connections") => "max-connections",
            Long("max-header-size") => "max-header-size",
            Long("header-timeout") => "header-timeout",
            Long("idle-timeout") => "idle-timeout",
            Long("grace") => "grace",
            Long("workers") => "workers",
            _ => return Err(usage(arg.unexpected())),
        };
        let value = os_string(parser.value().map_err(usage)?, &format!("--{name}"))?;
        flags.push((name, flag_raw(name, value)));
    }

    // A flag wins over the environment; the last of repeated flags wins.
    let get = |name: &str| -> Option<Raw> {
        if let Some((_, raw)) = flags.iter().rev().find(|(n, _)| *n == name) {
            return Some(Raw {
                value: raw.value.clone(),
                source: raw.source.clone(),
            });
        }
        let var = env_name(name);
        env(&var).map(|value| Raw { value, source: var })
    };

    let root = match root.or_else(|| env("MOTE_ROOT")) {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ if Path::new("/web").is_dir() => PathBuf::from("/web"),
        _ => PathBuf::from("."),
    };

    if headers.is_empty() {
        if let Some(value) = env("MOTE_HEADER") {
            headers = value
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| Raw {
                    value: line.to_string(),
                    source: "MOTE_HEADER".into(),
                })
                .collect();
        }
    }

    let cache_value = |name: &str, default: &'static str| -> Result<HeaderValue, UsageError> {
        match get(name) {
            None => Ok(HeaderValue::from_static(default)),
            Some(raw) => HeaderValue::from_str(raw.value.trim())
                .map_err(|_| raw.invalid("not a valid header value")),
        }
    };

    let max_header_size = opt(get("max-header-size"), parse_size)?.unwrap_or(16 * 1024);
    if max_header_size < 8192 {
        return Err(UsageError(
            "--max-header-size must be at least 8KiB (8192 bytes)".into(),
        ));
    }

    Ok(Command::Serve(Box::new(Config {
        root,
        listen: opt(get("listen"), parse_listen)?.unwrap_or(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            DEFAULT_PORT,
        )),
        spa: opt(get("spa"), parse_bool)?.unwrap_or(false),
        dotfiles: opt(get("dotfiles"), parse_bool)?.unwrap_or(false),
        access_log: !opt(get("no-access-log"), parse_bool)?.unwrap_or(false),
        headers: headers
            .iter()
            .map(|raw| parse_header(&raw.value).map_err(|why| raw.invalid(why)))
            .collect::<Result<_, _>>()?,
        cache: CachePolicy {
            html: cache_value("cache-html", "no-cache")?,
            hashed: cache_value("cache-hashed", "public, max-age=31536000, immutable")?,
            other: cache_value("cache-other", "public, max-age=3600")?,
        },
        preload_limit: opt(get("preload-limit"), parse_size)?.unwrap_or(4 << 20),
        max_connections: opt(get("max-connections"), parse_count)?.unwrap_or(4096),
        max_header_size: max_header_size as usize,
        header_timeout: opt(get("header-timeout"), parse_duration)?
            .unwrap_or(Duration::from_secs(10)),
        idle_timeout: opt(get("idle-timeout"), parse_duration)?.unwrap_or(Duration::from_secs(60)),
        grace: opt(get("grace"), parse_duration_or_zero)?.unwrap_or(Duration::from_secs(10)),
        workers: opt(get("workers"), parse_count)?
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    })))
}

fn parse_healthcheck(mut parser: lexopt::Parser) -> Result<Command, UsageError> {
    use lexopt::prelude::*;
    let mut url = None;
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(value) if url.is_none() => url = Some(os_string(value, "URL")?),
            _ => return Err(usage(arg.unexpected())),
        }
    }
    Ok(Command::Healthcheck { url })
}

/// `listen` -> `MOTE_LISTEN`.
fn env_name(flag: &str) -> String {
    format!("MOTE_{}", flag.to_ascii_uppercase().replace('-', "_"))
}

fn flag_raw(name: &str, value: String) -> Raw {
    Raw {
        value,
        source: format!("--{name}"),
    }
}

impl Raw {
    fn invalid(&self, why: impl fmt::Display) -> UsageError {
        UsageError(format!(
            "invalid value '{}' for {}: {why}",
            self.value, self.source
        ))
    }
}

fn usage(err: lexopt::Error) -> UsageError {
    UsageError(err.to_string())
}

fn os_string(value: OsString, what: &str) -> Result<String, UsageError> {
    value.into_string().map_err(|v| {
        UsageError(format!(
            "{what} is not valid UTF-8: {}",
            v.to_string_lossy()
        ))
    })
}

fn opt<T>(raw: Option<Raw>, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, UsageError> {
    raw.map(|raw| parse(raw.value.trim()).map_err(|why| raw.invalid(why)))
        .transpose()
}

/// `ADDR:PORT`, `[V6]:PORT` or a bare `PORT` (all IPv4 interfaces).
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    s.parse()
        .map_err(|_| "expected ADDR:PORT, e.g. 0.0.0.0:8080 or [::]:8080".to_string())
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) if n > u32::MAX as usize >> 3 => Err("too large".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number".into()),
    }
}

/// Bytes with an optional binary unit: `4096`, `512K`, `4M`, `4MiB`, `1G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| "expected a size like 4096, 512K or 4MiB".to_string())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err("unknown unit: use K, M or G".into()),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| "too large".to_string())
}

/// A duration: `10` (seconds), `500ms`, `10s`, `2m`. Zero is refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match parse_duration_or_zero(s)? {
        d if d.is_zero() => Err("must be greater than zero".into()),
        d => Ok(d),
    }
}

fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| "expected a duration like 10s or 500ms".to_string())?;
    let millis = match unit.trim() {
        "ms" => Some(number),
        "" | "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        _ => return Err("unknown unit: use ms, s or m".into()),
    };
    match millis {
        Some(ms) if ms <= 24 * 3600 * 1000 => Ok(Duration::from_millis(ms)),
        _ => Err("must be at most 24 hours".into()),
    }
}

/// `Name: value` -> a header pair; names and values are checked as HTTP requires.
fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_string())?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))?;
    let value =
        HeaderValue::from_str(value.trim()).map_err(|_| "not a valid header value".to_string())?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(args: &[&str], env: &[(&str, &str)]) -> Result<Command, UsageError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(args.iter().copied(), move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn config(args: &[&str], env: &[(&str, &str)]) -> Config {
        match parse_with(args, env) {
            Ok(Command::Serve(config)) => *config,
            other => panic!("expected a config, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = config(&["site"], &[]);
        assert_eq!(c.root, PathBuf::from("site"));
        assert_eq!(c.listen, "0.0.0.0:8080".parse().unwrap());
        assert!(c.access_log && !c.spa && !c.dotfiles);
        assert_eq!(c.preload_limit, 4 << 20);
        assert_eq!(c.grace, Duration::from_secs(10));
        assert_eq!(c.cache.html, "no-cache");
    }

    #[test]
    fn flag_wins_over_env() {
        let c = config(
            &["--listen", "127.0.0.1:9000", "r"],
            &[("MOTE_LISTEN", "[::]:1"), ("MOTE_GRACE", "2s")],
        );
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.grace, Duration::from_secs(2));
        let c = config(&[], &[("MOTE_LISTEN", "[::]:8081"), ("MOTE_ROOT", "/srv")]);
        assert_eq!(c.listen, "[::]:8081".parse().unwrap());
        assert_eq!(c.root, PathBuf::from("/srv"));
    }

    #[test]
    fn booleans_and_headers() {
        let c = config(
            &[
                "--spa",
                "-H",
                "Content-Security-Policy: default-src 'self'",
                "x",
            ],
            &[("MOTE_NO_ACCESS_LOG", "yes"), ("MOTE_DOTFILES", "0")],
        );
        assert!(c.spa && !c.access_log && !c.dotfiles);
        assert_eq!(c.headers.len(), 1);
        assert_eq!(c.headers[0].0, "content-security-policy");
        let c = config(&["x"], &[("MOTE_HEADER", "A: 1\nB: 2\n")]);
        assert_eq!(c.headers.len(), 2);
    }

    #[test]
    fn units() {
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("4X").is_err() && parse_size("").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("0").is_err() && parse_duration("1h").is_err());
        assert_eq!(parse_listen("9090"), Ok("0.0.0.0:9090".parse().unwrap()));
    }

    #[test]
    fn usage_errors_name_the_problem() {
        let err = |args: &[&str], env: &[(&str, &str)]| parse_with(args, env).unwrap_err().0;
        assert!(err(&["--bogus"], &[]).contains("--bogus"));
        assert!(err(&["--listen", "nope"], &[]).contains("--listen"));
        assert!(err(&[], &[("MOTE_LISTEN", "nope")]).contains("MOTE_LISTEN"));
        assert!(err(&["--grace"], &[]).contains("--grace"));
        assert!(err(&["-H", "no colon"], &[]).contains("Name: value"));
        assert!(err(&["a", "b"], &[]).contains("only one ROOT"));
        assert!(err(&["--max-header-size", "1K"], &[]).contains("8KiB"));
        assert!(err(&["--workers", "0"], &[]).contains("at least 1"));
    }

    #[test]
    fn healthcheck_subcommand() {
        match parse_with(&["healthcheck", "http://127.0.0.1:1/x"], &[]) {
            Ok(Command::Healthcheck { url }) => {
                assert_eq!(url.as_deref(), Some("http://127.0.0.1:1/x"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_with(&["healthcheck"], &[]),
            Ok(Command::Healthcheck { url: None })
        ));
        // A directory called healthcheck can still be served as ./healthcheck.
        assert!(matches!(
            parse_with(&["./healthcheck"], &[]),
            Ok(Command::Serve(_))
        ));
    }
}
