//! Logging set-up. Readable lines by default, JSON with `LOG_FORMAT=json`; `RUST_LOG` filters.
//! Each request runs inside `tracing-actix-web`'s root span, so every line it logs carries the
//! request id. Nothing in this code base logs a token: secrets are `SecretString`s and I/O is
//! instrumented with `skip_all`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;

use crate::settings::LogFormat;

/// Installs the global subscriber writing to stdout, filtered by `RUST_LOG` (default `info`).
/// Safe to call more than once (later calls are ignored), so tests can call it too.
pub fn init(format: LogFormat) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,actix_server=warn".into());
    init_with(format, &filter, std::io::stdout);
}

/// Installs the global subscriber writing to `writer` (tests capture logs this way).
pub fn init_with<W>(format: LogFormat, filter: &str, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The path with anything that may be a credential elided: the segment after HubSpot's v1
/// `refresh-tokens/` and `access-tokens/` (the retired v1 OAuth API, still served by the sandbox
/// for `HUBSPOT_OAUTH_VERSION=v1`, carries tokens in paths) and any segment of 32 characters or
/// more (our own routes have none).
pub fn redact_path(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let secret = segment.len() >= 32
                || matches!(previous, "refresh-tokens" | "access-tokens") && !segment.is_empty();
            previous = segment;
            if secret { "[redacted]" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The root span of every request: method, path and request id, and nothing from the query
/// string or headers, because OAuth callbacks carry codes and states there.
#[derive(Debug)]
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage as _;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %redact_path(request.path()),
            request_id = %request_id,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        let _entered = span.enter();
        // The access line; why a request failed is logged once, where the error is answered.
        tracing::info!(status = status.as_u16(), "request finished");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_path_segments_that_may_be_tokens_are_redacted() {
        let token = "na1-c8da-SECRET";
        let path = format!("/_sandbox/hubspot/oauth/v1/refresh-tokens/{token}");
        let redacted = super::redact_path(&path);
        assert!(!redacted.contains("SECRET"), "{redacted}");
        assert_eq!(
            redacted,
            "/_sandbox/hubspot/oauth/v1/refresh-tokens/[redacted]"
        );
        assert_eq!(
            super::redact_path("/api/integrations/hubspot/items"),
            "/api/integrations/hubspot/items"
        );
        let long = format!("/x/{}/y", "a".repeat(32));
        assert_eq!(super::redact_path(&long), "/x/[redacted]/y");
    }
}
