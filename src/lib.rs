//! mote: a static file server for a web root baked into a container image, and a
//! tower service any axum application can mount.
//!
//! The site is immutable while the process runs, so it is loaded once
//! ([`Site::load`]): every file's bytes, a strong ETag from its content, its
//! Content-Type, Cache-Control and precompressed siblings. Every response is then
//! built from those precomputed values by [`SiteService`], with no file system
//! access for files held in memory.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use mote::{ResponseOptions, Site, SiteOptions, SiteService};
//!
//! # fn app() -> Result<Router, mote::site::LoadError> {
//! let site = Site::load("dist".as_ref(), &SiteOptions::default())?;
//! let assets = SiteService::new(site, ResponseOptions::default());
//! let app: Router = Router::new()
//!     .route("/api/health", get(|| async { "ok" }))
//!     .nest_service("/assets", assets.clone())
//!     .fallback_service(assets);
//! # Ok(app) }
//! ```
//!
//! The library's API is [`Site`], [`SiteOptions`], [`SiteService`],
//! [`ResponseOptions`] and the types they use, in [`site`], [`respond`] and
//! [`content_coding`]. Modules, each below the ones that use it: [`content_coding`]
//! and [`site`] (the loader) at the bottom, [`respond`] (HTTP semantics, the
//! service) above them. The `mote` binary's own parts are hidden from the
//! documentation (public only so that the binary and the tests can reach them, not
//! an API): `server` (listener, timeouts, shutdown, the access log and metrics
//! around the site), and `config` (the command line) and `health` (the
//! healthcheck client) at the top, and `alloc` (the binary's allocator on musl).
#![warn(missing_docs)]

// Installed by the binary on musl only; built for tests everywhere.
#[cfg(any(target_env = "musl", test))]
#[doc(hidden)]
pub mod alloc;
#[doc(hidden)]
pub mod config;
pub mod content_coding;
#[doc(hidden)]
pub mod health;
pub mod respond;
#[doc(hidden)]
pub mod server;
pub mod site;

pub use respond::{ResponseOptions, SiteService};
pub use site::{Site, SiteOptions};
