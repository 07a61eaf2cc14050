//! What a server puts around a mounted sandbox: who may call its `/_admin` routes (they revoke
//! every token, change faults and knobs, and need no identity), and how long a request body may
//! take to arrive (a sandbox POST must not wait forever for a client that stalls).
//!
//! ```ignore
//! let guard = Guard { admin: AdminAccess::Loopback, body_deadline: Duration::from_secs(20) };
//! web::scope("/_sandbox/hubspot")
//!     .wrap(from_fn(move |req, next| sandbox_kit::guard::check(guard, sandbox.clone(), req, next)))
//! ```

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use futures_util::Stream;

use crate::ProviderSandbox;

/// Who may call a sandbox's `/_admin/*` routes (`SANDBOX_ADMIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminAccess {
    /// Anyone who can reach the server.
    Open,
    /// Only connections whose peer address is loopback (`127.0.0.1`, `::1`): the machine the
    /// server runs on. The connection's own peer counts, never a forwarding header.
    #[default]
    Loopback,
    /// Nobody over HTTP (in-process tests still use the sandbox's Rust methods).
    Off,
}

impl AdminAccess {
    /// `open`, `loopback` or `off` (ASCII case ignored).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Self::Open),
            "loopback" => Some(Self::Loopback),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    /// Whether an admin call from a connection whose peer is `peer` is allowed (`None`: the
    /// peer is unknown, e.g. a Unix socket, which only `Open` allows).
    pub fn allows(self, peer: Option<IpAddr>) -> bool {
        match self {
            Self::Open => true,
            Self::Off => false,
            // `::ffff:127.0.0.1` (a dual-stack listener's IPv4 peer) is loopback too.
            Self::Loopback => peer.is_some_and(|ip| ip.to_canonical().is_loopback()),
        }
    }
}

/// The guard's settings for one mounted sandbox.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Who may call `/_admin/*`.
    pub admin: AdminAccess,
    /// How long after its head a request's body may take to arrive in full; later, the request
    /// is answered 408 and the connection closed.
    pub body_deadline: Duration,
}

/// Whether `rest`, a path relative to the sandbox's mount, is an admin route: its first segment
/// is `_admin` (ASCII case and repeated slashes ignored, to err on the side of refusing).
pub fn is_admin_path(rest: &str) -> bool {
    rest.trim_start_matches('/')
        .split('/')
        .next()
        .is_some_and(|segment| segment.eq_ignore_ascii_case("_admin"))
}

/// The middleware (for `actix_web::middleware::from_fn` on the sandbox's scope): refuses admin
/// calls `guard.admin` does not allow with a 403 in `sandbox`'s error shape, and bounds the
/// request body by `guard.body_deadline` (a 408 in its shape, connection closed).
pub async fn check<B: MessageBody + 'static>(
    guard: Guard,
    sandbox: Arc<dyn ProviderSandbox>,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Within the scope, what is left of the (decoded) path the router matches on.
    let rest = req.match_info().unprocessed().to_owned();
    if is_admin_path(&rest) && !guard.admin.allows(req.peer_addr().map(|a| a.ip())) {
        let response = sandbox.error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "sandbox admin routes answer only callers the server allows (SANDBOX_ADMIN)",
        );
        return Ok(req.into_response(response));
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let payload = req.take_payload();
    let bounded: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        inner: payload,
        sleep: Box::pin(sleep(guard.body_deadline)),
        timed_out: Arc::clone(&timed_out),
        finished: false,
    });
    req.set_payload(Payload::from(bounded));
    let res = next.call(req).await?;
    if timed_out.load(Ordering::Relaxed) {
        let mut response = sandbox.error_response(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            &format!(
                "the request body did not arrive within {} s",
                guard.body_deadline.as_secs_f64()
            ),
        );
        // The rest of the body may never come: the connection is not reused.
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, response));
    }
    Ok(res.map_into_boxed_body())
}

/// A request body that fails with a timeout once `sleep` fires before it has all arrived.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
    finished: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        // What has arrived is delivered even after the deadline; only waiting is bounded.
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    this.finished = true;
                    this.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

    use actix_web::middleware::from_fn;
    use actix_web::test as actix_test;
    use actix_web::{App, HttpResponse, web};

    use super::*;

    /// A sandbox with one admin route and one body-reading route.
    #[derive(Debug)]
    struct Tiny;

    impl ProviderSandbox for Tiny {
        fn configure(&self, cfg: &mut web::ServiceConfig) {
            cfg.route(
                "/_admin/revoke-all",
                web::post().to(|| async { HttpResponse::NoContent().finish() }),
            )
            .route(
                "/token",
                web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body) }),
            );
        }

        fn urls(&self, _: &url::Url) -> BTreeMap<String, url::Url> {
            BTreeMap::new()
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    async fn call(admin: AdminAccess, peer: &str, path: &str) -> (StatusCode, String) {
        let guard = Guard {
            admin,
            body_deadline: Duration::from_secs(5),
        };
        let sandbox: Arc<dyn ProviderSandbox> = Arc::new(Tiny);
        let mounted = Arc::clone(&sandbox);
        let app = actix_test::init_service(
            App::new().service(
                web::scope("/_sandbox/tiny")
                    .wrap(from_fn(move |req, next| {
                        check(guard, Arc::clone(&mounted), req, next)
                    }))
                    .configure(|c| sandbox.configure(c)),
            ),
        )
        .await;
        let req = actix_test::TestRequest::post()
            .uri(path)
            .peer_addr(peer.parse::<SocketAddr>().unwrap())
            // Headers a client can forge: never consulted.
            .insert_header(("X-Forwarded-For", "127.0.0.1"))
            .insert_header(("Forwarded", "for=127.0.0.1"))
            .insert_header(("X-Real-IP", "127.0.0.1"))
            .set_payload("x=1")
            .to_request();
        let res = actix_test::call_service(&app, req).await;
        let status = res.status();
        let body = actix_test::read_body(res).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[actix_web::test]
    async fn an_admin_call_from_a_lan_peer_is_refused_whatever_its_forwarding_headers_say() {
        let (status, body) = call(
            AdminAccess::Loopback,
            "192.168.1.20:5000",
            "/_sandbox/tiny/_admin/revoke-all",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("\"error\":\"forbidden\""), "{body}");
    }

    #[actix_web::test]
    async fn an_admin_call_from_loopback_or_with_open_access_is_served() {
        for (admin, peer) in [
            (AdminAccess::Loopback, "127.0.0.1:5000"),
            (AdminAccess::Loopback, "[::1]:5000"),
            (AdminAccess::Open, "192.168.1.20:5000"),
        ] {
            let (status, _) = call(admin, peer, "/_sandbox/tiny/_admin/revoke-all").await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{admin:?} {peer}");
        }
        let (status, _) = call(
            AdminAccess::Off,
            "127.0.0.1:5000",
            "/_sandbox/tiny/_admin/revoke-all",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[actix_web::test]
    async fn non_admin_routes_answer_every_peer_and_get_their_whole_body() {
        let (status, body) = call(
            AdminAccess::Off,
            "192.168.1.20:5000",
            "/_sandbox/tiny/token",
        )
        .await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "x=1"));
    }

    const LOCAL4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const LOCAL6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
    const LAN: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));

    #[test]
    fn loopback_admin_allows_loopback_peers_only() {
        let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
        assert!(AdminAccess::Loopback.allows(Some(LOCAL4)));
        assert!(AdminAccess::Loopback.allows(Some(LOCAL6)));
        assert!(AdminAccess::Loopback.allows(Some(mapped)));
        assert!(!AdminAccess::Loopback.allows(Some(LAN)));
        assert!(!AdminAccess::Loopback.allows(Some("2001:db8::1".parse().unwrap())));
        assert!(!AdminAccess::Loopback.allows(None));
    }

    #[test]
    fn open_admin_allows_every_peer_and_off_allows_none() {
        for peer in [Some(LOCAL4), Some(LOCAL6), Some(LAN), None] {
            assert!(AdminAccess::Open.allows(peer));
            assert!(!AdminAccess::Off.allows(peer));
        }
    }

    #[test]
    fn admin_access_parses_its_three_words_and_nothing_else() {
        assert_eq!(AdminAccess::parse("open"), Some(AdminAccess::Open));
        assert_eq!(
            AdminAccess::parse(" Loopback "),
            Some(AdminAccess::Loopback)
        );
        assert_eq!(AdminAccess::parse("OFF"), Some(AdminAccess::Off));
        assert_eq!(AdminAccess::parse("yes"), None);
        assert_eq!(AdminAccess::parse(""), None);
        assert_eq!(AdminAccess::default(), AdminAccess::Loopback);
    }

    #[test]
    fn admin_paths_are_recognised_however_they_are_spelled() {
        for path in [
            "/_admin/revoke-all",
            "/_admin",
            "//_admin/stats",
            "/_ADMIN/knobs",
        ] {
            assert!(is_admin_path(path), "{path}");
        }
        for path in ["/oauth/v1/token", "/_adminx", "/crm/_admin", "", "/"] {
            assert!(!is_admin_path(path), "{path}");
        }
    }
}
