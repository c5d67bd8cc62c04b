//! The `mote` binary: the command line -> an axum application serving one baked
//! site -> exit codes (0 clean shutdown, 1 runtime error, 2 usage error).

use std::io::Write as _;
use std::process::ExitCode;

use axum::Router;
use mote::config::{self, Command, Config};
use mote::{server, Site, SiteService};

/// Small blocks are recycled per thread instead of going through musl's malloc
/// (glibc's has per-thread caches of its own).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mote::alloc::CachedAlloc = mote::alloc::CachedAlloc;

fn main() -> ExitCode {
    let command = config::parse(std::env::args_os().skip(1), |name| std::env::var(name).ok());
    match command {
        Err(e) => {
            say_err(&format!("mote: {e}\nTry 'mote --help'."));
            ExitCode::from(2)
        }
        Ok(Command::Help) => {
            say(&config::help());
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            say(&format!("mote {}\n", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Ok(Command::Healthcheck { url }) => ExitCode::from(mote::health::run(url)),
        Ok(Command::Serve(config)) => match serve(*config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say_err(&format!("mote: {e}"));
                ExitCode::from(1)
            }
        },
    }
}

fn serve(mut config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // Until the site is loaded nothing listens; a slow load says how it goes.
    config.site.progress = Some(|files, bytes| {
        let loaded = match bytes {
            0 => String::new(),
            bytes => format!(", {} MiB", bytes >> 20),
        };
        say_err(&format!("mote: loading ROOT: {files} files{loaded} so far"));
    });
    if let Some(key) = config.env_js.take() {
        config.site.generated.push(
            mote::site::env_js(key, std::env::vars_os())
                .map_err(|why| format!("--env-js: {why}"))?,
        );
    }
    let site = Site::load(&config.root, &config.site).map_err(|e| match e.error.kind() {
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => e.to_string(),
        _ => format!("{e} (ROOT must be a readable directory)"),
    })?;
    if let Some(fallback) = &config.response.fallback {
        if !matches!(site.get(fallback), Some(mote::site::Node::File(_))) {
            let root = config.root.display();
            return Err(format!("--fallback {fallback}: no such file in {root}").into());
        }
    }
    for warning in &site.stats.warnings {
        say_err(&format!("mote: {warning}"));
    }
    if site.stats.files == 0 {
        // The base image's empty /web, before a site was copied in.
        let root = config.root.display();
        say_err(&format!(
            "mote: {root} has no files to serve (every request will be a 404)"
        ));
    }
    let summary = site.stats.to_string();
    mote::server::metrics::get().set_site(mote::server::metrics::SiteGauges {
        files: site.stats.files as u64,
        memory_bytes: site.stats.memory_bytes,
        mapped_bytes: site.stats.mapped_bytes,
        load_millis: site.stats.elapsed.as_millis() as u64,
    });
    let app = Router::new().fallback_service(SiteService::new(site, config.response));
    server::run(&config.server, app, |addr| {
        say(&format!(
            "mote {}: serving {} on http://{addr}: {summary}\n",
            env!("CARGO_PKG_VERSION"),
            config.root.display()
        ));
    })?;
    Ok(())
}

/// stdout without the panic `print!` has on a closed pipe (`mote --help | head -1`).
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn say_err(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
