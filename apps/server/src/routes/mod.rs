//! HTTP routes. Handlers only translate between HTTP and the library crates.

mod health;
mod integrations;
pub(crate) mod openapi;
mod ui;

use actix_web::web;

pub(crate) use integrations::api_not_found as not_found;
pub use openapi::{Identity, document};
pub use ui::configure as ui;

/// `/healthz`, `/readyz` and everything under `/api`. `/metrics` is served on a listener of its
/// own (`METRICS_ADDR`): here it is a `not_found` problem, not the UI's fallback page.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::to(not_found))
        .route("/readyz", web::get().to(health::readyz))
        .service(
            web::scope("/api")
                .service(
                    web::resource("/openapi.json")
                        .route(web::get().to(openapi::spec))
                        .default_service(web::to(|| async {
                            Err::<actix_web::HttpResponse, _>(
                                crate::error::ApiError::MethodNotAllowed("GET"),
                            )
                        })),
                )
                .configure(integrations::configure)
                .default_service(web::to(integrations::api_not_found)),
        );
}
