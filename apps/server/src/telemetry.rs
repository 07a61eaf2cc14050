//! Logging set-up. Readable lines by default, JSON with `LOG_FORMAT=json`; `RUST_LOG` filters.
//! Each request runs inside `tracing-actix-web`'s root span, so every line it logs carries the
//! request id. Nothing in this code base logs a token: secrets are `SecretString`s and I/O is
//! instrumented with `skip_all`.
//!
//! Whatever a request controls reaches logs and metric labels only through this module: the
//! method as one of a closed set ([`method_label`]), text (the path, a provider name, an error's
//! detail) escaped and bounded ([`log_text`]), so a caller can neither forge log lines nor mint
//! unbounded label values.

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

/// The request's method as a metric label or log field: one of a closed set, `other` for any
/// method outside it (made-up methods would otherwise mint a series or a log value each).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The most bytes of request-derived text one log field carries (escapes included).
pub const MAX_LOG_TEXT: usize = 512;

/// `text` as a log field may carry it: control characters (newline, ESC, NUL…), invisible
/// format characters (bidirectional overrides, line separators) and backslashes escaped as
/// Rust writes them (`\n`, `\u{1b}`, `\0`, `\\`), so no input can start a forged line or
/// drive a terminal; cut after [`MAX_LOG_TEXT`] bytes, marked `…`. Every field that may hold
/// request-derived text goes through here.
pub fn log_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LOG_TEXT + 8));
    for c in text.chars() {
        if out.len() >= MAX_LOG_TEXT {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_debug()),
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}' => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// The root span of every request: method (from a closed set), path (credential-like segments
/// redacted, escaped, bounded) and request id, and nothing from the query string or headers,
/// because OAuth callbacks carry codes and states there.
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
            method = method_label(request.method()),
            path = %log_text(&redact_path(request.path())),
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

    #[test]
    fn control_characters_in_logged_text_are_escaped_and_its_length_is_bounded() {
        assert_eq!(
            super::log_text("a\nb\r\u{1b}[31m\0\t\\n\u{202e}é"),
            "a\\nb\\r\\u{1b}[31m\\0\\t\\\\n\\u{202e}é"
        );
        assert_eq!(super::log_text("hubspot"), "hubspot");
        let long = super::log_text(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), super::MAX_LOG_TEXT + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn methods_outside_the_standard_set_are_labelled_other() {
        use actix_web::http::Method;
        assert_eq!(super::method_label(&Method::GET), "GET");
        assert_eq!(super::method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(super::method_label(&Method::TRACE), "other");
        let made_up = Method::from_bytes(b"MADEUP").unwrap();
        assert_eq!(super::method_label(&made_up), "other");
    }
}
