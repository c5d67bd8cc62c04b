//! mote: a static file server for a web root baked into a container image.
//!
//! The site is immutable while the process runs, so it is loaded once (see
//! [`site`]) and every response is built from precomputed values (see [`http`]).
//! This file only parses the command line and maps failures to exit codes:
//! 0 clean shutdown, 1 runtime error, 2 usage error.

mod config;
mod health;
mod http;
mod mime;
mod server;
mod site;

use std::process::ExitCode;

use config::{Command, Config};
use http::respond::Responder;
use site::{LoadOptions, Site};

fn main() -> ExitCode {
    let command = config::parse(std::env::args_os().skip(1), |name| std::env::var(name).ok());
    match command {
        Err(e) => {
            eprintln!("mote: {e}\nTry 'mote --help'.");
            ExitCode::from(2)
        }
        Ok(Command::Help) => {
            print!("{}", config::HELP);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("mote {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Healthcheck { url }) => ExitCode::from(health::run(url)),
        Ok(Command::Serve(config)) => match serve(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mote: {e}");
                ExitCode::from(1)
            }
        },
    }
}

fn serve(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    let options = LoadOptions {
        preload_limit: config.preload_limit,
        dotfiles: config.dotfiles,
        cache: &config.cache,
    };
    let site = Site::load(&config.root, &options)
        .map_err(|e| format!("{e} (ROOT must be a readable directory)"))?;
    let summary = site.stats.to_string();
    let responder = Responder::new(site, config.spa, config.access_log, config.headers.clone());
    server::run(config, responder, |addr| {
        println!(
            "mote {}: serving {} on http://{addr}: {summary}",
            env!("CARGO_PKG_VERSION"),
            config.root.display()
        );
    })?;
    Ok(())
}
