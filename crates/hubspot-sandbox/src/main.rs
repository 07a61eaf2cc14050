//! `cargo run -p hubspot-sandbox`: the sandbox on its own, for poking at with a browser or curl.

use std::net::TcpListener;

use hubspot_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ObjectCounts, ObjectType, RateLimit,
    RegisteredClient, Sandbox, SandboxConfig, paths,
};

fn env_number(name: &str, default: usize) -> std::io::Result<usize> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => value.trim().parse().map_err(|_| {
            std::io::Error::other(format!("{name} must be a whole number, got {value:?}"))
        }),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("SANDBOX_BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    let daily = env_number("SANDBOX_DAILY_LIMIT", 0)?;
    let search = env_number("SANDBOX_SEARCH_RATE_LIMIT", 5)?;
    let mut config = SandboxConfig {
        contacts: env_number("SANDBOX_CONTACTS", 250)?,
        daily_limit: (daily > 0).then_some(daily as u64),
        search_rate_limit: (search > 0).then(|| RateLimit {
            max_requests: u32::try_from(search).unwrap_or(u32::MAX),
            ..RateLimit::search()
        }),
        hublet: std::env::var("SANDBOX_HUBLET")
            .ok()
            .filter(|h| !h.trim().is_empty()),
        ..SandboxConfig::default()
    }
    .with_env_contract_seed()
    .map_err(std::io::Error::other)?
    .with_unavailable_scopes_from_env();
    for object in ObjectType::ALL {
        if let Some(default) = config.objects.get(object) {
            let count = env_number(&ObjectCounts::env_var(object), default)?;
            config.objects.set(object, count);
        }
    }
    let mut client = RegisteredClient::default();
    if let Ok(uris) = std::env::var("SANDBOX_REDIRECT_URIS") {
        client.redirect_uris.extend(
            uris.split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
        );
    }
    config.clients = vec![client.clone()];

    let listener = TcpListener::bind(&bind).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot bind SANDBOX_BIND_ADDR={bind}: {e}"),
        )
    })?;
    let base = format!("http://{}", listener.local_addr()?);
    let sandbox = Sandbox::new(config);
    println!("HubSpot sandbox listening on {base}");
    println!("  authorize URL : {base}{}", paths::AUTHORIZE);
    println!("  token URL     : {base}{}", paths::TOKEN_2026_03);
    println!("  (v1, retired) : {base}{}", paths::TOKEN_V1);
    println!("  API base URL  : {base}");
    println!("  client_id     : {DEFAULT_CLIENT_ID}");
    println!("  client_secret : {DEFAULT_CLIENT_SECRET}");
    for uri in &client.redirect_uris {
        println!("  redirect_uri  : {uri}");
    }
    println!("  admin         : {base}/_admin/stats");
    println!("  edit records  : {base}/_admin/records/contacts");
    println!(
        "  contract seed : {} (set HUBSPOT_SANDBOX_SEED=<u64> or =typical)",
        sandbox.contract().seed
    );
    sandbox.run(listener)?.await
}
