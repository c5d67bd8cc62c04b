//! Command line and `MOTE_*` environment -> a validated [`Config`], from one table.
//!
//! [`OPTIONS`] is the only list of options: parsing, the environment names, the
//! defaults and `--help` are all read from it, and a test checks that README's
//! table lists exactly these flags, variables and defaults. Every option can come
//! from a flag or from its variable (`MOTE_` + the flag in upper case, `-` as `_`);
//! a flag wins. Values are validated once here, so the rest of the program never
//! sees a malformed one, and every message names where the bad value came from.
//! The result is split into each consumer's own slice: [`SiteOptions`] for the
//! loader, [`ResponseOptions`] for the HTTP layer, [`ServerOptions`] for the server.

use std::ffi::OsString;
use std::fmt;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};

use crate::respond::ResponseOptions;
use crate::server::log::LogFormat;
use crate::server::ServerOptions;
use crate::site::{CachePolicy, SiteOptions};

/// One option: its key, its flags, its value, its default and its help line.
#[derive(Debug)]
pub struct Opt {
    /// What the code names it by: `OPTIONS[key as usize]` is this entry.
    pub key: Key,
    /// The long flag without `--`; also names the variable (`MOTE_` + upper case).
    pub long: &'static str,
    /// The short flag, if any.
    pub short: Option<char>,
    /// The value's placeholder in `--help` (`ADDR:PORT`); `None` for a switch.
    pub value: Option<&'static str>,
    /// The default as a user would write it; `None` when the option is off or
    /// unset by default (the help says what that means).
    pub default: Option<&'static str>,
    /// What it does, for `--help` (one line or two).
    pub help: &'static str,
}

impl Opt {
    /// `listen` -> `MOTE_LISTEN`.
    pub fn env(&self) -> String {
        format!("MOTE_{}", self.long.to_ascii_uppercase().replace('-', "_"))
    }
}

/// Every option by name, in [`OPTIONS`] order: the code asks for `Key::Listen`,
/// not the string `"listen"`, so a misspelt option does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `--listen`
    Listen,
    /// `--fallback`
    Fallback,
    /// `--spa`
    Spa,
    /// `--headers-file`
    HeadersFile,
    /// `--redirects-file`
    RedirectsFile,
    /// `--dotfiles`
    Dotfiles,
    /// `--no-clean-urls`
    NoCleanUrls,
    /// `--env-js`
    EnvJs,
    /// `--no-access-log`
    NoAccessLog,
    /// `--log-format`
    LogFormat,
    /// `--header`
    Header,
    /// `--cache-html`
    CacheHtml,
    /// `--cache-hashed`
    CacheHashed,
    /// `--cache-other`
    CacheOther,
    /// `--preload-limit`
    PreloadLimit,
    /// `--max-memory`
    MaxMemory,
    /// `--max-connections`
    MaxConnections,
    /// `--max-header-size`
    MaxHeaderSize,
    /// `--header-timeout`
    HeaderTimeout,
    /// `--idle-timeout`
    IdleTimeout,
    /// `--send-timeout`
    SendTimeout,
    /// `--drain-delay`
    DrainDelay,
    /// `--grace`
    Grace,
    /// `--admin`
    Admin,
    /// `--workers`
    Workers,
}

/// The entry of `key` in [`OPTIONS`].
pub fn opt(key: Key) -> &'static Opt {
    &OPTIONS[key as usize]
}

/// The variable ROOT can come from (ROOT is no flag: the one argument).
pub const ROOT_ENV: &str = "MOTE_ROOT";

/// Every option mote has, in `--help` order.
pub const OPTIONS: &[Opt] = &[
    Opt {
        key: Key::Listen,
        long: "listen",
        short: Some('l'),
        value: Some("ADDR:PORT"),
        default: Some("[::]:8080"),
        help: "Address to listen on; [::] is IPv6 and IPv4 (0.0.0.0 where the host has\n\
               no IPv6, with a line saying so); a bare PORT means [::]:PORT",
    },
    Opt {
        key: Key::Fallback,
        long: "fallback",
        short: None,
        value: Some("FILE"),
        default: None,
        help: "Serve FILE (a path in ROOT) with 200 for a GET or HEAD that matches nothing\n\
               and accepts text/html (a browser navigation); assets still get 404",
    },
    Opt {
        key: Key::Spa,
        long: "spa",
        short: None,
        value: None,
        default: None,
        help: "The same as --fallback index.html (a single-page app)",
    },
    Opt {
        key: Key::HeadersFile,
        long: "headers-file",
        short: None,
        value: Some("PATH"),
        default: None,
        help: "Per-path headers in Netlify/Cloudflare _headers format (unset: ROOT/_headers\n\
               if present; never served)",
    },
    Opt {
        key: Key::RedirectsFile,
        long: "redirects-file",
        short: None,
        value: Some("PATH"),
        default: None,
        help: "Redirects and rewrites in _redirects format (unset: ROOT/_redirects if\n\
               present; never served)",
    },
    Opt {
        key: Key::Dotfiles,
        long: "dotfiles",
        short: None,
        value: None,
        default: None,
        help: "Serve files and directories whose names start with '.'",
    },
    Opt {
        key: Key::NoCleanUrls,
        long: "no-clean-urls",
        short: None,
        value: None,
        default: None,
        help: "Do not serve about.html at /about (clean URLs are on by default where no\n\
               file or directory 'about' exists)",
    },
    Opt {
        key: Key::EnvJs,
        long: "env-js",
        short: None,
        value: Some("PATH"),
        default: None,
        help: "Serve the variables MOTE_PUBLIC_* as window.__ENV = {...} at PATH (like\n\
               /env.js; no-cache; no other variable is exposed; a file of ROOT there is\n\
               refused)",
    },
    Opt {
        key: Key::NoAccessLog,
        long: "no-access-log",
        short: None,
        value: None,
        default: None,
        help: "Do not log a line per request to stdout",
    },
    Opt {
        key: Key::LogFormat,
        long: "log-format",
        short: None,
        value: Some("text|json"),
        default: Some("text"),
        help: "Access-log lines as text, or as JSON objects (with user agent, referer and\n\
               X-Forwarded-For)",
    },
    Opt {
        key: Key::Header,
        long: "header",
        short: Some('H'),
        value: Some("'NAME: VALUE'"),
        default: None,
        help: "Add a header to every response; repeatable (in the variable: one per line)",
    },
    Opt {
        key: Key::CacheHtml,
        long: "cache-html",
        short: None,
        value: Some("VALUE"),
        default: Some("no-cache"),
        help: "Cache-Control for HTML",
    },
    Opt {
        key: Key::CacheHashed,
        long: "cache-hashed",
        short: None,
        value: Some("VALUE"),
        default: Some("public, max-age=31536000, immutable"),
        help: "Cache-Control for names carrying a content hash, like app.3f9a1c2e.js",
    },
    Opt {
        key: Key::CacheOther,
        long: "cache-other",
        short: None,
        value: Some("VALUE"),
        default: Some("public, max-age=3600"),
        help: "Cache-Control for everything else",
    },
    Opt {
        key: Key::PreloadLimit,
        long: "preload-limit",
        short: None,
        value: Some("SIZE"),
        default: Some("4MiB"),
        help: "Hold files up to SIZE in memory; larger ones are read from disk",
    },
    Opt {
        key: Key::MaxMemory,
        long: "max-memory",
        short: None,
        value: Some("SIZE"),
        default: Some("512MiB"),
        help: "Bytes of the site copied into memory at most; beyond it files are mapped\n\
               from disk instead (the smallest stay in memory). Mapped pages are the\n\
               page cache's and are not counted",
    },
    Opt {
        key: Key::MaxConnections,
        long: "max-connections",
        short: None,
        value: Some("N"),
        default: Some("4096"),
        help: "Connections served at once; more wait in the backlog",
    },
    Opt {
        key: Key::MaxHeaderSize,
        long: "max-header-size",
        short: None,
        value: Some("SIZE"),
        default: Some("16KiB"),
        help: "Largest request head accepted (at least 8KiB), else 431",
    },
    Opt {
        key: Key::HeaderTimeout,
        long: "header-timeout",
        short: None,
        value: Some("DUR"),
        default: Some("10s"),
        help: "Time a client has to send a request head",
    },
    Opt {
        key: Key::IdleTimeout,
        long: "idle-timeout",
        short: None,
        value: Some("DUR"),
        default: Some("60s"),
        help: "Time a kept-alive connection may sit idle between requests",
    },
    Opt {
        key: Key::SendTimeout,
        long: "send-timeout",
        short: None,
        value: Some("DUR"),
        default: Some("30s"),
        help: "Time a response may make no progress (the client not reading) before\n\
               the connection is cut",
    },
    Opt {
        key: Key::DrainDelay,
        long: "drain-delay",
        short: None,
        value: Some("DUR"),
        default: Some("0s"),
        help: "On SIGTERM, SIGINT or SIGHUP, keep serving this long first, with /readyz\n\
               503 and Connection: close (for load balancers to catch up)",
    },
    Opt {
        key: Key::Grace,
        long: "grace",
        short: None,
        value: Some("DUR"),
        default: Some("10s"),
        help: "Then, time in-flight responses get to finish (a second signal ends it\n\
               at once)",
    },
    Opt {
        key: Key::Admin,
        long: "admin",
        short: None,
        value: Some("ADDR:PORT"),
        default: None,
        help: "A second listener for /livez, /readyz and /metrics (off when unset);\n\
               it never serves the site",
    },
    Opt {
        key: Key::Workers,
        long: "workers",
        short: None,
        value: Some("N"),
        default: None,
        help: "Worker threads (unset: one per CPU)",
    },
];

/// `--help`, generated from [`OPTIONS`].
pub fn help() -> String {
    let mut out = String::from(
        "mote: serve a baked, immutable web root from memory\n\
         \n\
         USAGE:\n    mote [OPTIONS] [ROOT]\n    mote healthcheck [URL]\n\
         \n\
         ROOT defaults to $MOTE_ROOT, else /web if it exists, else the current directory.\n\
         Every option can also be set with its environment variable; a flag wins.\n\
         \n\
         OPTIONS:\n",
    );
    for opt in OPTIONS {
        let short = opt
            .short
            .map_or(String::from("    "), |c| format!("-{c}, "));
        let value = opt.value.map_or(String::new(), |v| format!(" {v}"));
        let _ = writeln!(out, "    {short}--{}{value}", opt.long);
        for line in opt.help.lines() {
            let _ = writeln!(out, "            {}", line.trim());
        }
        let _ = match opt.default {
            Some(default) => writeln!(out, "            [env: {}] [default: {default}]", opt.env()),
            None => writeln!(out, "            [env: {}]", opt.env()),
        };
    }
    out.push_str(
        "    -h, --help\n            Print this help\n\
         \x20   -V, --version\n            Print the version\n\
         \n\
         SIZE is bytes, or a number with K, M or G (KiB, MiB, GiB), e.g. 512K, 4MiB.\n\
         DUR is seconds, or a number with ms, s or m, e.g. 500ms, 10s, 2m.\n\
         Switches in the environment: 1/true/yes/on or 0/false/no/off.\n\
         \n\
         HEALTHCHECK:\n    mote healthcheck [URL]\n\
         \x20           GET URL (default http://127.0.0.1:<port of MOTE_LISTEN>/); exit 0 on a\n\
         \x20           2xx/3xx answer within 2s, else print why on stderr and exit 1.\n\
         \n\
         EXIT CODES:\n    0 clean shutdown, 1 runtime error (missing root, address in use),\n    \
         2 usage error (the message and a hint to try --help, on stderr).\n",
    );
    out
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Serve a site.
    Serve(Box<Config>),
    /// Probe a running server (`mote healthcheck [URL]`).
    Healthcheck {
        /// The URL to GET; `None`: derived from `MOTE_LISTEN`.
        url: Option<String>,
    },
    /// Print `--help`.
    Help,
    /// Print the version.
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

/// Everything `mote` needs, validated, in one slice per consumer.
#[derive(Debug, Clone)]
pub struct Config {
    /// The web root.
    pub root: PathBuf,
    /// For [`crate::site::Site::load`].
    pub site: SiteOptions,
    /// For [`crate::respond::SiteService`].
    pub response: ResponseOptions,
    /// For [`crate::server::run`].
    pub server: ServerOptions,
    /// `--env-js`: the key to serve the `MOTE_PUBLIC_*` variables at; the binary
    /// makes the file from its environment ([`crate::site::env_js`]).
    pub env_js: Option<String>,
}

/// One option's raw value and where it came from, for error messages.
#[derive(Clone)]
struct Raw {
    value: String,
    source: String,
}

/// The listen address mote uses when none is given (also what `mote healthcheck`
/// probes by default).
pub fn default_listen() -> SocketAddr {
    let default = opt(Key::Listen).default.expect("--listen has a default");
    parse_listen(default).expect("the default listen address parses")
}

/// Parses `args` (without the program name), reading `MOTE_*` through `env`.
pub fn parse<I>(args: I, env: impl Fn(&str) -> Option<String>) -> Result<Command, UsageError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    match read_args(args)? {
        Args::Done(command) => Ok(command),
        Args::Serve { flags, root } => Ok(Command::Serve(Box::new(build(&flags, root, env)?))),
    }
}

/// The command line, read: a command that needs nothing more, or the flags and
/// ROOT of a server to configure.
enum Args {
    Done(Command),
    Serve {
        flags: Vec<(&'static Opt, Raw)>,
        root: Option<String>,
    },
}

fn read_args<I>(args: I) -> Result<Args, UsageError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut flags: Vec<(&'static Opt, Raw)> = Vec::new();
    let mut root: Option<String> = None;

    while let Some(arg) = parser.next().map_err(usage)? {
        let opt = match arg {
            Short('h') | Long("help") => return Ok(Args::Done(Command::Help)),
            Short('V') | Long("version") => return Ok(Args::Done(Command::Version)),
            Value(value) if root.is_none() && flags.is_empty() && value == "healthcheck" => {
                return parse_healthcheck(parser).map(Args::Done);
            }
            Value(value) => {
                if root.is_some() {
                    return Err(UsageError(format!(
                        "unexpected argument '{}': only one ROOT can be served",
                        value.to_string_lossy()
                    )));
                }
                root = Some(os_string(value, "ROOT")?);
                continue;
            }
            Long(name) => OPTIONS.iter().find(|opt| opt.long == name),
            Short(c) => OPTIONS.iter().find(|opt| opt.short == Some(c)),
        };
        let Some(opt) = opt else {
            return Err(usage(arg.unexpected()));
        };
        let value = match opt.value {
            None => "true".to_string(),
            Some(_) => os_string(parser.value().map_err(usage)?, &format!("--{}", opt.long))?,
        };
        let source = format!("--{}", opt.long);
        flags.push((opt, Raw { value, source }));
    }
    Ok(Args::Serve { flags, root })
}

/// The server's [`Config`] from its flags, ROOT and the environment.
fn build(
    flags: &[(&'static Opt, Raw)],
    root: Option<String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, UsageError> {
    let sources = Sources { flags, env: &env };
    let root = match root.or_else(|| env(ROOT_ENV)) {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ if Path::new("/web").is_dir() => PathBuf::from("/web"),
        _ => PathBuf::from("."),
    };
    Ok(Config {
        root,
        site: sources.site()?,
        response: sources.response()?,
        server: sources.server()?,
        env_js: match sources.get(Key::EnvJs) {
            Some(raw) => Some(parse_site_path(&raw.value).map_err(|why| raw.invalid(why))?),
            None => None,
        },
    })
}

/// Where an option's value comes from: a flag wins over the environment, which
/// wins over the default; the last of repeated flags wins.
struct Sources<'a> {
    flags: &'a [(&'static Opt, Raw)],
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Sources<'_> {
    fn get(&self, key: Key) -> Option<Raw> {
        let option = opt(key);
        if let Some((_, raw)) = self.flags.iter().rev().find(|(o, _)| o.key == key) {
            return Some(raw.clone());
        }
        let var = option.env();
        if let Some(value) = (self.env)(&var) {
            return Some(Raw { value, source: var });
        }
        option.default.map(|value| Raw {
            value: value.to_string(),
            source: format!("the default of --{}", option.long),
        })
    }

    /// An option with a default (a test parses every default).
    fn required(&self, key: Key) -> Raw {
        self.get(key).expect("an option with a default")
    }

    fn switch(&self, key: Key) -> Result<bool, UsageError> {
        optional(self.get(key), parse_bool).map(|on| on.unwrap_or(false))
    }

    fn header_value(&self, key: Key) -> Result<HeaderValue, UsageError> {
        let raw = self.required(key);
        HeaderValue::from_str(raw.value.trim()).map_err(|_| raw.invalid("not a valid header value"))
    }

    /// Repeated -H flags add up; without any, the variable's lines do.
    fn headers(&self) -> Vec<Raw> {
        let flags: Vec<Raw> = self
            .flags
            .iter()
            .filter(|(opt, _)| opt.key == Key::Header)
            .map(|(_, raw)| raw.clone())
            .collect();
        if !flags.is_empty() {
            return flags;
        }
        let variable = opt(Key::Header).env();
        let Some(value) = (self.env)(&variable) else {
            return Vec::new();
        };
        value
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| Raw {
                value: line.to_string(),
                source: variable.clone(),
            })
            .collect()
    }

    /// The loader's slice.
    fn site(&self) -> Result<SiteOptions, UsageError> {
        Ok(SiteOptions {
            preload_limit: value(self.required(Key::PreloadLimit), parse_size)?,
            max_memory: value(self.required(Key::MaxMemory), parse_size)?,
            dotfiles: self.switch(Key::Dotfiles)?,
            clean_urls: !self.switch(Key::NoCleanUrls)?,
            generated: Vec::new(),
            headers_file: self
                .get(Key::HeadersFile)
                .map(|raw| PathBuf::from(raw.value)),
            redirects_file: self
                .get(Key::RedirectsFile)
                .map(|raw| PathBuf::from(raw.value)),
            progress: None,
            cache: CachePolicy {
                html: self.header_value(Key::CacheHtml)?,
                hashed: self.header_value(Key::CacheHashed)?,
                other: self.header_value(Key::CacheOther)?,
            },
        })
    }

    /// The HTTP layer's slice.
    fn response(&self) -> Result<ResponseOptions, UsageError> {
        Ok(ResponseOptions {
            fallback: match (self.get(Key::Fallback), self.switch(Key::Spa)?) {
                (Some(raw), _) => {
                    Some(parse_site_path(&raw.value).map_err(|why| raw.invalid(why))?)
                }
                (None, true) => Some("index.html".into()),
                (None, false) => None,
            },
            headers: self
                .headers()
                .iter()
                .map(|raw| parse_header(&raw.value).map_err(|why| raw.invalid(why)))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The server's slice.
    fn server(&self) -> Result<ServerOptions, UsageError> {
        let max_header_size = value(self.required(Key::MaxHeaderSize), parse_size)?;
        if max_header_size < 8192 {
            return Err(UsageError(
                "--max-header-size must be at least 8KiB (8192 bytes)".into(),
            ));
        }
        Ok(ServerOptions {
            listen: value(self.required(Key::Listen), parse_listen)?,
            max_connections: value(self.required(Key::MaxConnections), parse_count)?,
            max_header_size: max_header_size as usize,
            header_timeout: value(self.required(Key::HeaderTimeout), parse_duration)?,
            idle_timeout: value(self.required(Key::IdleTimeout), parse_duration)?,
            send_timeout: value(self.required(Key::SendTimeout), parse_duration)?,
            drain_delay: value(self.required(Key::DrainDelay), parse_duration_or_zero)?,
            grace: value(self.required(Key::Grace), parse_duration_or_zero)?,
            admin: optional(self.get(Key::Admin), parse_listen)?,
            workers: optional(self.get(Key::Workers), parse_count)?
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            access_log: !self.switch(Key::NoAccessLog)?,
            log_format: value(self.required(Key::LogFormat), parse_log_format)?,
        })
    }
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

fn optional<T>(
    raw: Option<Raw>,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, UsageError> {
    raw.map(|raw| value(raw, parse)).transpose()
}

fn value<T>(raw: Raw, parse: fn(&str) -> Result<T, String>) -> Result<T, UsageError> {
    parse(raw.value.trim()).map_err(|why| raw.invalid(why))
}

/// `ADDR:PORT`, `[V6]:PORT` or a bare `PORT` (every interface, IPv6 and IPv4).
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
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

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    match s.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected text or json".into()),
    }
}

/// A fallback file: a path inside ROOT, given with or without its leading slash.
/// A path in the site (`index.html`, `/env.js`) -> its key; also `--env-js`'s.
fn parse_site_path(s: &str) -> Result<String, String> {
    let key = s.trim().trim_start_matches('/');
    if key.is_empty()
        || key
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err("expected a file in ROOT, like index.html or app/shell.html".into());
    }
    Ok(key.to_string())
}

/// `Name: value` -> a header pair; names and values are checked as HTTP requires.
fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_string())?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))?;
    crate::site::rules::refuse_framing(&name)?;
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
        assert_eq!(c.server.listen, "[::]:8080".parse().unwrap());
        assert!(c.server.access_log && c.response.fallback.is_none() && !c.site.dotfiles);
        assert_eq!(c.site.preload_limit, 4 << 20);
        assert_eq!(c.server.grace, Duration::from_secs(10));
        assert_eq!(c.site.cache.html, "no-cache");
    }

    #[test]
    fn flag_wins_over_env() {
        let c = config(
            &["--listen", "127.0.0.1:9000", "r"],
            &[("MOTE_LISTEN", "[::]:1"), ("MOTE_GRACE", "2s")],
        );
        assert_eq!(c.server.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.server.grace, Duration::from_secs(2));
        let c = config(&[], &[("MOTE_LISTEN", "[::]:8081"), ("MOTE_ROOT", "/srv")]);
        assert_eq!(c.server.listen, "[::]:8081".parse().unwrap());
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
        assert!(!c.server.access_log && !c.site.dotfiles);
        assert_eq!(c.response.fallback.as_deref(), Some("index.html"));
        assert_eq!(c.response.headers.len(), 1);
        assert_eq!(c.response.headers[0].0, "content-security-policy");
        let c = config(&["--fallback", "/app/shell.html", "x"], &[]);
        assert_eq!(c.response.fallback.as_deref(), Some("app/shell.html"));
        assert!(parse_with(&["--fallback", "../x", "x"], &[]).is_err());
        let c = config(&["x"], &[("MOTE_HEADER", "A: 1\nB: 2\n")]);
        assert_eq!(c.response.headers.len(), 2);
    }

    #[test]
    fn keys_index_the_table() {
        for (i, opt) in OPTIONS.iter().enumerate() {
            assert_eq!(
                opt.key as usize, i,
                "--{} is not at its key's place",
                opt.long
            );
            assert_eq!(super::opt(opt.key).long, opt.long);
        }
    }

    #[test]
    fn defaults_come_from_the_table_and_match_the_library() {
        let c = config(&["x"], &[]);
        let library = SiteOptions::default();
        assert_eq!(c.site.preload_limit, library.preload_limit);
        assert_eq!(c.site.cache.hashed, library.cache.hashed);
        assert_eq!(c.site.cache.other, library.cache.other);
        assert_eq!(c.server.listen, default_listen());
        assert_eq!(c.server.max_connections, 4096);
        assert_eq!(c.server.max_header_size, 16 * 1024);
        assert_eq!(c.server.idle_timeout, Duration::from_secs(60));
        // Every default in the table parses, given as its flag and as its
        // variable (a typo there would only show at run time).
        for opt in OPTIONS {
            if let Some(default) = opt.default {
                let flag = format!("--{}", opt.long);
                let parsed = parse_with(&[&flag, default, "x"], &[]);
                assert!(parsed.is_ok(), "{flag} {default}: {parsed:?}");
                let parsed = parse_with(&["x"], &[(&opt.env(), default)]);
                assert!(parsed.is_ok(), "{}={default}: {parsed:?}", opt.env());
            }
        }
        assert!(matches!(parse_with(&["x"], &[]), Ok(Command::Serve(_))));
    }

    #[test]
    fn help_lists_every_option_with_its_variable() {
        let help = help();
        for opt in OPTIONS {
            assert!(help.contains(&format!("--{}", opt.long)), "--{}", opt.long);
            assert!(help.contains(&opt.env()), "{}", opt.env());
            if let Some(default) = opt.default {
                assert!(help.contains(&format!("[default: {default}]")), "{default}");
            }
        }
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
        assert_eq!(parse_listen("9090"), Ok("[::]:9090".parse().unwrap()));
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
