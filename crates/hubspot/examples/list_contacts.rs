//! Embedding the HubSpot provider: the provider plus `integration_core::Connector` over an
//! in-memory credential store, connecting a user and listing their contacts page by page.
//!
//! HubSpot itself is replaced by the HubSpot sandbox on a local port, so this runs without
//! network access or a HubSpot account:
//!
//! ```text
//! cargo run -p hubspot --example list_contacts
//! ```

use std::sync::Arc;

use hubspot::HubSpotConfig;
use hubspot_sandbox::{RegisteredClient, Sandbox, SandboxConfig};
use integration_core::{CallbackContext, CallbackParams, Connector, ItemQuery, UserId};
use token_store::MemoryTokenStore;
use url::Url;

const CLIENT_ID: &str = "example-client-id";
const CLIENT_SECRET: &str = "example-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/api/integrations/hubspot/callback";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = local_hubspot()?;

    // In production: `HubSpotConfig::new(id, secret)` with HubSpot's real URLs.
    let config =
        HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into()).with_base_url(&base)?;
    let http = hubspot::http_client(config.request_timeout);
    let store = Arc::new(MemoryTokenStore::new());
    let connector = Connector::new(Arc::new(hubspot::provider(config, http)), store);

    // Connecting: send the user's browser to the consent page, and finish on the callback.
    let user = UserId::parse("test_user")?;
    let start = connector.begin_authorization(&user, REDIRECT_URI).await?;
    let callback = press_approve(&start.url).await?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let params = CallbackParams {
        code: param("code"),
        state: param("state"),
        error: param("error"),
        error_description: param("error_description"),
    };
    let context = CallbackContext {
        binding: Some(&start.binding),
        user: Some(&user),
    };
    let (_, connection) = connector.finish_authorization(params, context).await?;
    println!("connected to portal {:?}", connection.account_id);

    let mut query = ItemQuery::new().limit(25);
    loop {
        let page = connector.items(&user, &query).await?;
        for item in &page.items {
            println!(
                "{:>4}  {:<28} {}",
                item.id,
                item.title,
                item.url.as_deref().unwrap_or("-")
            );
        }
        match page.next_cursor {
            Some(cursor) => query = ItemQuery::new().limit(25).after(Some(cursor)),
            None => break,
        }
    }
    Ok(())
}

/// A local HubSpot: the sandbox (consent page, token endpoints, 250 generated contacts) on a
/// free port, with this example's app registered, giving HubSpot's typical answers.
fn local_hubspot() -> Result<Url, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new(SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT_URI.into()],
        }],
        ..SandboxConfig::typical()
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = Url::parse(&format!("http://{}", listener.local_addr()?))?;
    tokio::spawn(sandbox.run(listener)?);
    Ok(base)
}

/// What the user does in the browser: press Approve on the consent page, which sends the
/// browser back to the redirect URI with a code. Returns that callback URL.
async fn press_approve(consent: &Url) -> Result<Url, Box<dyn std::error::Error>> {
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = browser
        .post(consent.join("authorize/decision")?)
        .form(&form)
        .send()
        .await?;
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .ok_or("the consent page did not redirect")?;
    Ok(Url::parse(location.to_str()?)?)
}
