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
//! Modules, each below the ones that use it: [`alloc`] (the binary's allocator), [`content_coding`] and [`site`] (the
//! loader) at the bottom, [`respond`] (HTTP semantics, the service), [`metrics`]
//! and [`access_log`] above them, [`server`] (listener, timeouts, shutdown) above
//! those, and [`config`] (the command line) and [`health`] at the top, for the
//! `mote` binary.
#![warn(missing_docs)]

pub mod access_log;
pub mod alloc;
pub mod config;
pub mod content_coding;
pub mod health;
pub mod metrics;
pub mod respond;
pub mod server;
pub mod site;

pub use respond::{ResponseOptions, SiteService};
pub use site::{Site, SiteOptions};
