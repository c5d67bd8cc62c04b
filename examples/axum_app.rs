//! An axum application that serves an API route of its own and mounts mote for a
//! folder of static files, both under `/static/` and as the fallback.
//!
//! ```sh
//! cargo run --example axum_app -- web/ 127.0.0.1:3000
//! curl http://127.0.0.1:3000/api/status      # {"files":7,"name":"mote"}
//! curl http://127.0.0.1:3000/static/app.js   # a file of web/, with ETag, Range, br...
//! curl http://127.0.0.1:3000/                # web/index.html (the fallback)
//! ```

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use mote::{ResponseOptions, Site, SiteOptions, SiteService};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| "web".into());
    let addr: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:3000").parse()?;

    // Load once: every file's bytes, ETag, type and precompressed variants.
    let site = Site::load(root.as_ref(), &SiteOptions::default())?;
    let files = site.stats.files;
    let assets = SiteService::new(site, ResponseOptions::default());

    let app = Router::new()
        .route(
            "/api/status",
            get(move || async move { Json(serde_json::json!({ "name": "mote", "files": files })) }),
        )
        .nest_service("/static", assets.clone())
        .fallback_service(assets);

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("axum_app: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
