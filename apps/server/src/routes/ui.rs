//! The built web UI (`web/dist`), served at `/` after the API routes, with a single-page-app
//! fallback so deep links such as `/integrations/hubspot/callback` load the app.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::{HttpResponse, web};

/// Mounts the UI at `/`, or a page explaining how to build it when `dist` has no `index.html`.
pub fn configure(cfg: &mut web::ServiceConfig, dist: &Path) {
    let index: PathBuf = dist.join("index.html");
    if !index.is_file() {
        cfg.default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(MISSING_UI)
        }));
        return;
    }
    cfg.service(
        Files::new("/", dist)
            .index_file("index.html")
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let file = NamedFile::open_async(&index).await?;
                    let res = file.into_response(&req);
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}

const MISSING_UI: &str = "<!doctype html><html><head><title>VectorShift Integrations</title></head>\
<body style=\"font-family:system-ui;margin:3rem\"><h1>VectorShift Integrations API</h1>\
<p>The web UI has not been built. Run <code>just run</code> (it builds <code>web/</code>), or \
<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>.</p>\
<p>The API is up: try <a href=\"/healthz\">/healthz</a>.</p></body></html>";
