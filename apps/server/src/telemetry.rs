//! Logging set-up. Readable lines by default, JSON with `LOG_FORMAT=json`; `RUST_LOG` filters.
//! Each request runs inside `tracing-actix-web`'s root span, so every line it logs carries the
//! request id. Nothing in this code base logs a token: secrets are `SecretString`s and I/O is
//! instrumented with `skip_all`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;

use crate::settings::LogFormat;

/// Installs the global subscriber. Safe to call more than once (later calls are ignored), so tests
/// can call it too.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
