//! One request, read safely, with failures in the semantic [`Error`].
//!
//! What every provider got wrong when it wrote this itself: following redirects (a token request
//! replayed to wherever a 3xx points), reading unbounded bodies, putting the request URL (which
//! may hold a token) into error text, and trusting a provider's error message not to echo what
//! we sent. Here each is handled once.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use url::Url;

use crate::Error;
use crate::retry::parse_retry_after;

/// Largest success body read (a page of records with many properties is well under this).
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// Largest error body read; providers' error documents are a few hundred bytes.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// Longest provider message passed on in an [`Error`].
const MAX_MESSAGE: usize = 300;

/// An HTTP client fit for talking to a provider: no redirects followed, `timeout` per request,
/// a shorter connect timeout, and `user_agent`. Build one per process and share it.
///
/// # Panics
///
/// Like `reqwest::Client::new`, if the TLS backend cannot be initialised.
pub fn client(timeout: Duration, user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(user_agent.to_owned())
        .build()
        .expect("the TLS backend initialises")
}

/// A provider's answer: status, headers and the body if it was within the limit.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body; `None` when it exceeded the limit for its status.
    pub body: Option<Vec<u8>>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as `T`; [`Error::InvalidResponse`] naming `what` if it is too large or
    /// not the documented JSON (the body itself is never quoted).
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        let body = self
            .body
            .as_deref()
            .ok_or_else(|| Error::InvalidResponse(format!("{what} exceeds the size limit")))?;
        serde_json::from_slice(body).map_err(|e| {
            Error::InvalidResponse(format!(
                "{what} is not the documented JSON ({})",
                json_reason(&e)
            ))
        })
    }

    /// The `Retry-After` wait, when the provider said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    }

    /// The standard meaning of a non-2xx answer: 401 → [`Error::Unauthorized`], 429 →
    /// [`Error::RateLimited`] (with `Retry-After`), 5xx → [`Error::Upstream`], another 4xx with a
    /// recognisable error document → [`Error::Rejected`], else [`Error::Upstream`].
    pub fn error(&self) -> Error {
        match self.status {
            401 => Error::Unauthorized,
            429 => Error::RateLimited {
                retry_after: self.retry_after(),
            },
            400..=499 => match ProviderError::parse(self.body.as_deref()) {
                Some(ProviderError {
                    code: Some(code),
                    message,
                }) => Error::Rejected {
                    code,
                    message: truncate(&message),
                },
                _ => Error::Upstream {
                    status: self.status,
                },
            },
            status => Error::Upstream { status },
        }
    }
}

/// Sends one request and reads the body up to [`MAX_BODY`] (2xx) or [`MAX_ERROR_BODY`].
pub async fn send(request: reqwest::RequestBuilder) -> Result<Response, Error> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(e.without_url()))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let limit = if (200..300).contains(&status) {
        MAX_BODY
    } else {
        MAX_ERROR_BODY
    };
    let body = read_body(response, limit).await?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A transport failure, described without the request URL (reqwest's `Display` prints it, and
/// URLs may carry tokens).
pub fn transport_error(error: reqwest::Error) -> Error {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        Error::Unavailable(kind.to_owned())
    } else {
        Error::Unavailable(format!("{kind}: {}", truncate(&detail)))
    }
}

async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, Error> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e.without_url()))?
    {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// An error document in any of the shapes providers use: RFC 6749's `{error,
/// error_description}`, `{code, message}` (Notion), `{error: {type, message}}` (Airtable),
/// `{status, message, category}` (HubSpot).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderError {
    /// The most specific machine-readable code found.
    pub code: Option<String>,
    /// The human message (not truncated; may echo input: scrub before showing).
    pub message: String,
}

impl ProviderError {
    /// Reads `body`; `None` if it is not a JSON object.
    pub fn parse(body: Option<&[u8]>) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body?).ok()?;
        let object = value.as_object()?;
        let text = |v: Option<&serde_json::Value>| {
            v.and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let nested = object.get("error").and_then(|e| e.as_object());
        let code = match nested {
            Some(inner) => text(inner.get("type")).or_else(|| text(inner.get("code"))),
            None => text(object.get("error")),
        }
        .or_else(|| text(object.get("code")))
        .or_else(|| text(object.get("status")).filter(|s| !s.eq_ignore_ascii_case("error")))
        .or_else(|| text(object.get("category")));
        let message = nested
            .and_then(|inner| text(inner.get("message")))
            .or_else(|| text(object.get("error_description")))
            .or_else(|| text(object.get("message")))
            .unwrap_or_default();
        Some(Self { code, message })
    }
}

/// `text` with every occurrence of each (non-empty) secret replaced by `[redacted]`, then cut to
/// a few hundred characters. Scrub before cutting: a secret across the cut would otherwise leak
/// its prefix.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[redacted]");
    }
    truncate(&text)
}

/// Reports to the connector how much of a provider's limit is left, from a usage header naming
/// `used/limit` (Salesforce's `Sforce-Limit-Info: api-usage=25/15000`, per `window`): once it is
/// spent, the account's shared budget is held for the window instead of every replica collecting
/// refusals ([`report_rate_hint`](crate::report_rate_hint)). The first `used/limit` pair in the
/// value counts; a header without one says nothing. Returns what it reported.
pub fn report_usage(response: &Response, header: &str, window: Duration) -> Option<u64> {
    let value = response.headers.get(header)?.to_str().ok()?;
    let remaining = value.split([' ', ',', ';', '=']).find_map(|part| {
        let (used, limit) = part.split_once('/')?;
        let (used, limit): (u64, u64) = (used.parse().ok()?, limit.parse().ok()?);
        Some(limit.saturating_sub(used))
    })?;
    tracing::debug!(header, remaining, "provider usage");
    crate::report_rate_hint(crate::RateHint { remaining, window });
    Some(remaining)
}

/// `text`, cut to a few hundred characters.
pub fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A short reason a body did not parse, without quoting the body.
pub fn json_reason(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "missing or mistyped fields",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

/// Appends `template` to `base`'s path, segment by segment, replacing `{name}` segments by their
/// value in `vars` (percent-encoded as one path segment, so a `/` in a value stays inside it).
///
/// `Url::join("/x")` would replace the base's path and drop a prefix such as
/// `/_sandbox/hubspot`; this keeps it. A value cannot add segments or climb (`/`, `.`, `..`), so
/// an id from a provider's answer cannot redirect a request elsewhere.
pub fn append_path(base: &Url, template: &str, vars: &[(&str, &str)]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| Error::Config(format!("{base} cannot be a base URL")))?;
        segments.pop_if_empty();
        for segment in template.split('/').filter(|s| !s.is_empty()) {
            let value = segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map(|name| {
                    vars.iter()
                        .find(|(var, _)| *var == name)
                        .map(|(_, value)| *value)
                        .ok_or_else(|| {
                            Error::Config(format!("unknown placeholder {{{name}}} in {template}"))
                        })
                })
                .transpose()?
                .unwrap_or(segment);
            // `push` silently drops these, which would change the path.
            if matches!(value, "." | "..") {
                return Err(Error::InvalidInput(format!(
                    "a dot segment cannot fill a placeholder in {template}"
                )));
            }
            segments.push(value);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: Some(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn error_documents_of_every_shape_are_understood() {
        let cases = [
            (
                r#"{"error":"invalid_grant","error_description":"d"}"#,
                "invalid_grant",
                "d",
            ),
            (
                r#"{"object":"error","status":400,"code":"validation_error","message":"m"}"#,
                "validation_error",
                "m",
            ),
            (
                r#"{"error":{"type":"INVALID_REQUEST","message":"m"}}"#,
                "INVALID_REQUEST",
                "m",
            ),
            (
                r#"{"status":"error","message":"m","category":"VALIDATION_ERROR"}"#,
                "VALIDATION_ERROR",
                "m",
            ),
            (
                r#"{"status":"BAD_REFRESH_TOKEN","message":"m"}"#,
                "BAD_REFRESH_TOKEN",
                "m",
            ),
        ];
        for (body, code, message) in cases {
            let parsed = ProviderError::parse(Some(body.as_bytes())).unwrap();
            assert_eq!(parsed.code.as_deref(), Some(code), "{body}");
            assert_eq!(parsed.message, message, "{body}");
        }
        assert!(ProviderError::parse(Some(b"<html>")).is_none());
    }

    #[test]
    fn statuses_map_to_the_semantic_errors() {
        assert!(matches!(answer(401, "").error(), Error::Unauthorized));
        assert!(matches!(answer(429, "").error(), Error::RateLimited { .. }));
        assert!(matches!(
            answer(503, "").error(),
            Error::Upstream { status: 503 }
        ));
        assert!(matches!(
            answer(404, "nope").error(),
            Error::Upstream { status: 404 }
        ));
        assert!(matches!(
            answer(400, r#"{"code":"validation_error","message":"m"}"#).error(),
            Error::Rejected { code, .. } if code == "validation_error"
        ));
    }

    #[test]
    fn scrubbing_happens_before_truncation() {
        let secret = "s".repeat(20);
        let text = format!("{}{secret}", "x".repeat(290));
        let scrubbed = scrub(&text, &[&secret]);
        assert!(!scrubbed.contains("sssss"), "{scrubbed}");
    }

    #[test]
    fn paths_are_appended_to_a_base_with_a_prefix() {
        let base = Url::parse("http://127.0.0.1:8080/_sandbox/hubspot").unwrap();
        let url =
            append_path(&base, "/crm/v3/objects/{object}", &[("object", "contacts")]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/_sandbox/hubspot/crm/v3/objects/contacts"
        );
        let slash = Url::parse("http://127.0.0.1:8080/_sandbox/hubspot/").unwrap();
        assert_eq!(
            append_path(&slash, "/a", &[]).unwrap().as_str(),
            "http://127.0.0.1:8080/_sandbox/hubspot/a"
        );
        let root = Url::parse("https://api.hubapi.com").unwrap();
        assert_eq!(
            append_path(&root, "/a/b", &[]).unwrap().as_str(),
            "https://api.hubapi.com/a/b"
        );
    }

    #[test]
    fn placeholder_values_are_one_encoded_segment() {
        let base = Url::parse("https://api.hubapi.com").unwrap();
        let url = append_path(
            &base,
            "/oauth/v1/refresh-tokens/{token}",
            &[("token", "a/b c?d#e%f")],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.hubapi.com/oauth/v1/refresh-tokens/a%2Fb%20c%3Fd%23e%25f"
        );
        assert!(matches!(
            append_path(&base, "/{nope}", &[]),
            Err(Error::Config(_))
        ));
    }

    /// A peer that answers every connection with `answer` (raw HTTP/1.1), after `delay`.
    async fn peer(answer: Vec<u8>, delay: Duration) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    tokio::time::sleep(delay).await;
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://{addr}/")
    }

    fn client() -> reqwest::Client {
        super::client(Duration::from_millis(500), "kit-test")
    }

    /// A token request must never be replayed to wherever a 3xx points.
    #[tokio::test]
    async fn redirects_are_answers_not_followed() {
        let url = peer(
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
            Duration::ZERO,
        )
        .await;
        let response = send(client().post(url).form(&[("code", "c")]))
            .await
            .unwrap();
        assert_eq!(response.status, 302);
        assert!(matches!(response.error(), Error::Upstream { status: 302 }));
    }

    /// Bodies over the limit are not read into memory, announced or streamed.
    #[tokio::test]
    async fn bodies_over_the_limit_are_not_read() {
        let announced = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{{}}",
            MAX_BODY + 1
        );
        let response = send(client().get(peer(announced.into_bytes(), Duration::ZERO).await))
            .await
            .unwrap();
        assert_eq!((response.status, response.body), (200, None));

        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..=MAX_BODY >> 20 {
            chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            chunked.extend_from_slice(&chunk);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let response = send(client().get(peer(chunked, Duration::ZERO).await))
            .await
            .unwrap();
        assert_eq!((response.status, response.body), (200, None));
    }

    /// A peer slower than the timeout, or none at all, is `Unavailable`, without the URL (a
    /// v1 revoke URL holds a token).
    #[tokio::test]
    async fn slow_and_absent_peers_are_unavailable_without_the_url() {
        let slow = peer(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            Duration::from_secs(3),
        )
        .await;
        let error = send(client().get(format!("{slow}secret-token")))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Unavailable(m) if m.starts_with("timed out")),
            "{error:?}"
        );
        assert!(!format!("{error} {error:?}").contains("secret-token"));

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/secret-token", closed.local_addr().unwrap());
        drop(closed);
        let error = send(client().get(url)).await.unwrap_err();
        assert!(matches!(&error, Error::Unavailable(_)), "{error:?}");
        assert!(!format!("{error} {error:?}").contains("secret-token"));
    }
}
