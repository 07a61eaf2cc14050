//! `vs-server`: load settings, start logging, serve.

use server::settings::Settings;
use server::startup::Application;
use server::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let (settings, notes) = match Settings::load() {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    telemetry::init(settings.log_format);
    if let Some(path) = notes.generated_key_in {
        tracing::warn!(
            "TOKEN_ENCRYPTION_KEY was not set: generated a development key and saved it to {} (production must set its own)",
            path.display()
        );
    }
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("{err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for id in app.sandboxed() {
        tracing::warn!(
            "SANDBOX MODE: no {}_CLIENT_ID is configured, so {id} is its bundled sandbox at {}_sandbox/{id} (fake data, no real accounts)",
            id.to_ascii_uppercase(),
            app.base_url()
        );
    }
    tracing::info!(
        "VectorShift integrations listening: open {}",
        app.base_url()
    );
    match app.metrics_addr() {
        Some(addr) => {
            tracing::info!("metrics (Prometheus) at http://{addr}/metrics (METRICS_ADDR)")
        }
        None => tracing::info!("metrics are off (METRICS_ADDR=off)"),
    }
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("server stopped: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
