//! Each variable's default, and refusals that name the variable.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const KEY: (&str, &str) = (
    "TOKEN_ENCRYPTION_KEY",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
);

#[test]
fn a_development_key_is_written_once_and_is_valid() {
    let dir = std::env::temp_dir().join(format!("vs-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".env");
    std::fs::write(&path, "RUST_LOG=info").unwrap();
    assert!(write_dev_key(&path).unwrap());
    assert!(!write_dev_key(&path).unwrap(), "an existing key is kept");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("RUST_LOG=info\n"));
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("TOKEN_ENCRYPTION_KEY="))
        .unwrap();
    assert!(token_store::Cipher::from_key_material(key).is_ok());
    assert_eq!(text.matches("TOKEN_ENCRYPTION_KEY=").count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn defaults_give_sandbox_mode_on_localhost() {
    let s = Settings::from_vars(vars(&[KEY])).unwrap();
    assert!(s.sandbox_mode());
    assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(s.redis.key_prefix, "vs:");
    assert_eq!(s.refresh_skew, Duration::from_secs(300));
    assert_eq!(s.refresh_lock_ttl, Duration::from_secs(10));
    let short = Settings::from_vars(vars(&[KEY, ("REQUEST_DEADLINE_SECS", "4")])).unwrap();
    assert_eq!(short.refresh_lock_ttl, Duration::from_secs(2));
    let err = Settings::from_vars(vars(&[
        KEY,
        ("REQUEST_DEADLINE_SECS", "4"),
        ("REFRESH_LOCK_TTL_SECS", "3"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("REFRESH_LOCK_TTL_SECS is invalid"), "{err}");
    assert_eq!(s.providers[0].id(), "hubspot");
    assert_eq!(s.providers[0].mode, ProviderMode::Sandbox);
}

#[test]
fn sandbox_admin_defaults_to_loopback_and_a_bad_value_names_the_variable() {
    use sandbox_kit::guard::AdminAccess;
    let s = Settings::from_vars(vars(&[KEY])).unwrap();
    assert_eq!(s.sandbox_admin, AdminAccess::Loopback);
    for (value, access) in [
        ("open", AdminAccess::Open),
        ("loopback", AdminAccess::Loopback),
        ("off", AdminAccess::Off),
    ] {
        let s = Settings::from_vars(vars(&[KEY, ("SANDBOX_ADMIN", value)])).unwrap();
        assert_eq!(s.sandbox_admin, access);
    }
    let err = Settings::from_vars(vars(&[KEY, ("SANDBOX_ADMIN", "everyone")]))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("SANDBOX_ADMIN is invalid"), "{err}");
}

#[test]
fn metrics_default_to_loopback_on_any_port_and_a_bad_address_names_the_variable() {
    let s = Settings::from_vars(vars(&[KEY])).unwrap();
    assert_eq!(s.metrics_addr, Some("127.0.0.1:0".parse().unwrap()));
    let s = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", "0.0.0.0:9464")])).unwrap();
    assert_eq!(s.metrics_addr, Some("0.0.0.0:9464".parse().unwrap()));
    let s = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", "off")])).unwrap();
    assert_eq!(s.metrics_addr, None);
    for bad in [
        "nope",
        "9464",
        "localhost:9464",
        "127.0.0.1:99999",
        "127.0.0.1",
    ] {
        let err = Settings::from_vars(vars(&[KEY, ("METRICS_ADDR", bad)]))
            .expect_err(bad)
            .to_string();
        assert!(err.starts_with("METRICS_ADDR is invalid: "), "{err}");
        assert!(err.contains(bad), "{err}");
    }
}

#[test]
fn the_rate_budget_is_on_at_hubspots_limit_unless_disabled() {
    let s = Settings::from_vars(vars(&[KEY])).unwrap();
    assert_eq!(s.rate_budget_per_10s, Some(110));
    let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_PER_10S", "50")])).unwrap();
    assert_eq!(s.rate_budget_per_10s, Some(50));
    let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_ENABLED", "false")])).unwrap();
    assert_eq!(s.rate_budget_per_10s, None);
    let s = Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_SEARCH_PER_SECOND", "2")])).unwrap();
    assert_eq!(s.rate_budget_search_per_s, 2);
    assert!(Settings::from_vars(vars(&[KEY, ("RATE_BUDGET_SEARCH_PER_SECOND", "0")])).is_err());
    let s = Settings::from_vars(vars(&[KEY, ("INDEX_LAG_SECS", "0")])).unwrap();
    assert_eq!(s.index_lag, Duration::ZERO);
    assert!(Settings::from_vars(vars(&[KEY, ("INDEX_LAG_SECS", "-1")])).is_err());
    assert_eq!(
        Settings::from_vars(vars(&[KEY])).unwrap().changes_lookback,
        Duration::from_secs(300)
    );
    let s = Settings::from_vars(vars(&[KEY, ("CHANGES_LOOKBACK_SECS", "0")])).unwrap();
    assert_eq!(s.changes_lookback, Duration::ZERO);
    assert!(Settings::from_vars(vars(&[KEY, ("CHANGES_LOOKBACK_SECS", "86401")])).is_err());
    for (name, bad) in [
        ("RATE_BUDGET_PER_10S", "0"),
        ("RATE_BUDGET_PER_10S", "many"),
        ("RATE_BUDGET_ENABLED", "maybe"),
    ] {
        let err = Settings::from_vars(vars(&[KEY, (name, bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&format!("{name} is invalid")), "{err}");
    }
}

#[test]
fn oauth_pending_per_user_defaults_to_ten_and_names_itself_when_out_of_range() {
    let s = Settings::from_vars(vars(&[KEY])).unwrap();
    assert_eq!(s.oauth_pending_per_user, 10);
    let s = Settings::from_vars(vars(&[KEY, ("OAUTH_PENDING_PER_USER", "3")])).unwrap();
    assert_eq!(s.oauth_pending_per_user, 3);
    for bad in ["0", "1001", "many"] {
        let error = Settings::from_vars(vars(&[KEY, ("OAUTH_PENDING_PER_USER", bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("OAUTH_PENDING_PER_USER is invalid"),
            "{error}"
        );
    }
}

#[test]
fn real_credentials_switch_sandbox_off() {
    let s = Settings::from_vars(vars(&[
        KEY,
        ("HUBSPOT_CLIENT_ID", "abc"),
        ("HUBSPOT_CLIENT_SECRET", "shh-very-secret"),
        ("HUBSPOT_SCOPES", "oauth, crm.objects.contacts.read"),
    ]))
    .unwrap();
    assert_eq!(s.providers[0].mode, ProviderMode::Live);
    // The others have no credentials: their sandboxes, in development.
    assert!(
        s.providers[1..]
            .iter()
            .all(|p| p.mode == ProviderMode::Sandbox)
    );
    assert!(s.sandbox_mode());
    let production = Settings::from_vars(vars(&[
        KEY,
        ("APP_ENV", "production"),
        ("AUTH_MODE", "jwt"),
        ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("HUBSPOT_CLIENT_ID", "abc"),
        ("HUBSPOT_CLIENT_SECRET", "shh-very-secret"),
    ]))
    .unwrap();
    assert!(!production.sandbox_mode(), "production mounts no sandbox");
    assert!(
        production.providers[1..]
            .iter()
            .all(|p| p.mode == ProviderMode::Off)
    );
    assert_eq!(
        s.providers[0].settings.scopes,
        Some(vec![
            "oauth".to_owned(),
            "crm.objects.contacts.read".to_owned()
        ])
    );
    assert!(!format!("{s:?}").contains("shh-very-secret"));
}

#[test]
fn missing_settings_name_the_variable() {
    let err = Settings::from_vars(vars(&[])).unwrap_err().to_string();
    assert!(err.starts_with("TOKEN_ENCRYPTION_KEY is not set"), "{err}");
    let err = Settings::from_vars(vars(&[KEY, ("HUBSPOT_CLIENT_ID", "abc")]))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("HUBSPOT_CLIENT_SECRET is not set"), "{err}");
    let err = Settings::from_vars(vars(&[
        KEY,
        ("APP_ENV", "production"),
        ("AUTH_MODE", "jwt"),
        ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("HUBSPOT_CLIENT_ID is not set"), "{err}");
    let live = [
        KEY,
        ("APP_ENV", "production"),
        ("HUBSPOT_CLIENT_ID", "abc"),
        ("HUBSPOT_CLIENT_SECRET", "def"),
    ];
    let err = Settings::from_vars(vars(&live)).unwrap_err().to_string();
    assert!(err.starts_with("AUTH_MODE is not set"), "{err}");
    let err = Settings::from_vars(vars(&[&live[..], &[("AUTH_MODE", "dev")]].concat()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("AUTH_MODE is invalid"), "{err}");
    let err = Settings::from_vars(vars(&[&live[..], &[("AUTH_MODE", "jwt")]].concat()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("AUTH_JWT_SECRET is not set"), "{err}");
    let err = Settings::from_vars(vars(
        &[
            &live[..],
            &[("AUTH_MODE", "jwt"), ("AUTH_JWT_SECRET", "short")],
        ]
        .concat(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("AUTH_JWT_SECRET is invalid"), "{err}");
    let err = Settings::from_vars(vars(
        &[
            &live[..],
            &[
                ("AUTH_MODE", "jwt"),
                ("AUTH_JWKS_URL", "https://id.example/jwks.json"),
                ("AUTH_JWT_ALGORITHM", "HS256"),
            ],
        ]
        .concat(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("AUTH_JWT_ALGORITHM is invalid"), "{err}");
    let ok = Settings::from_vars(vars(
        &[
            &live[..],
            &[
                ("AUTH_MODE", "jwt"),
                ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ],
        ]
        .concat(),
    ))
    .unwrap();
    assert!(matches!(ok.auth, AuthMode::Jwt(ref jwt) if jwt.algorithm == "HS256"));
    assert!(!format!("{ok:?}").contains("0123456789abcdef"));
    let err = Settings::from_vars(vars(&[KEY, ("BIND_ADDR", "nope")]))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("BIND_ADDR is invalid"), "{err}");
    let err = Settings::from_vars(vars(&[KEY, ("HUBSPOT_API_BASE_URL", "::")]))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("HUBSPOT_API_BASE_URL is invalid"), "{err}");
}

#[test]
fn public_and_frontend_urls_must_be_plain_http_or_https_origins() {
    for name in ["PUBLIC_URL", "FRONTEND_URL"] {
        for bad in [
            "file:///srv/ui/index.html",
            "ftp://ui.example.com",
            "data:text/html,hi",
            "javascript:alert(1)",
            "https://ui.example.com/app",
            "https://ui.example.com/?x=1",
            "https://ui.example.com/#top",
            "https://user:hunter2@ui.example.com",
            "https://user@ui.example.com",
        ] {
            let err = Settings::from_vars(vars(&[KEY, (name, bad)]))
                .expect_err(bad)
                .to_string();
            assert!(err.starts_with(&format!("{name} is invalid: ")), "{err}");
            assert!(!err.contains("hunter2"), "no credentials echoed: {err}");
            assert_eq!(err.matches(". ").count(), 0, "one sentence: {err}");
        }
        for good in [
            "http://localhost:5173",
            "https://ui.example.com",
            "https://ui.example.com/",
            "http://[::1]:8080",
        ] {
            let s = Settings::from_vars(vars(&[KEY, (name, good)])).expect(good);
            let url = if name == "PUBLIC_URL" {
                s.public_url
            } else {
                s.frontend_url
            };
            assert_eq!(url.expect("set").path(), "/");
        }
    }
}

/// Every variable refuses what it cannot hold, with one sentence that names it and says what
/// it takes.
#[test]
fn every_malformed_variable_is_named_with_what_it_takes() {
    for (name, bad, expected) in [
        (
            "APP_ENV",
            "staging",
            "'development' or 'dev' or 'production' or 'prod'",
        ),
        ("LOG_FORMAT", "xml", "'pretty' or 'text' or 'json'"),
        ("AUTH_MODE", "magic", "'dev' or 'jwt'"),
        ("SANDBOX_ADMIN", "everyone", "'loopback' or 'open' or 'off'"),
        ("REQUEST_DEADLINE_SECS", "0", "between 1 and 3600"),
        ("REQUEST_DEADLINE_SECS", "soon", "integer"),
        ("RATE_BUDGET_PER_10S", "100001", "between 1 and 100000"),
        ("RATE_BUDGET_SEARCH_PER_SECOND", "-1", "integer"),
        ("INDEX_LAG_SECS", "3601", "between 0 and 3600"),
        ("CHANGES_LOOKBACK_SECS", "86401", "between 0 and 86400"),
        ("OAUTH_PENDING_PER_USER", "1001", "between 1 and 1000"),
        ("REDIS_POOL_SIZE", "0", "between 1 and 10000"),
        ("REDIS_TIMEOUT_MS", "2s", "integer"),
        ("TOKEN_REFRESH_SKEW_SECS", "five", "integer"),
        ("AUTH_JWT_LEEWAY_SECS", "x", "integer"),
        ("RATE_BUDGET_ENABLED", "maybe", "boolean"),
        (
            "BIND_ADDR",
            "nope",
            "an IP address and port (like 127.0.0.1:8080), got 'nope'",
        ),
        ("METRICS_ADDR", "9464", "or 'off', got '9464'"),
        ("EMBED_ORIGINS", "data:text/html,x", "not an http(s) origin"),
        ("AUTH_JWKS_URL", "::", "not a URL"),
    ] {
        let err = Settings::from_vars(vars(&[KEY, (name, bad)]))
            .expect_err(name)
            .to_string();
        assert!(err.starts_with(&format!("{name} is invalid: ")), "{err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

/// An empty variable is an unset one (a blank line in a `.env` template).
#[test]
fn empty_values_mean_the_default() {
    let s = Settings::from_vars(vars(&[
        KEY,
        ("REQUEST_DEADLINE_SECS", ""),
        ("LOG_FORMAT", " "),
        ("PUBLIC_URL", ""),
    ]))
    .unwrap();
    assert_eq!(s.request_deadline, Duration::from_secs(20));
    assert_eq!(s.log_format, LogFormat::Pretty);
    assert_eq!(s.public_url, None);
}
