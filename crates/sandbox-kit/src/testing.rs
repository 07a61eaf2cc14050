//! Test helpers (feature `testing`): serve a sandbox on port 0, and click through its consent
//! page as a person would.

use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use url::Url;

use crate::ProviderSandbox;

/// Serves `sandbox` under `mount` (`""` or `/_sandbox/notion`) on a free local port and returns
/// the mount's URL (what [`ProviderSandbox::urls`] takes as its root).
///
/// # Panics
///
/// If no local port can be bound.
pub async fn serve(sandbox: Arc<dyn ProviderSandbox>, mount: &str) -> Url {
    let mount = mount.trim_end_matches('/').to_owned();
    let scope = mount.clone();
    let server = HttpServer::new(move || {
        let sandbox = sandbox.clone();
        App::new().service(web::scope(&scope).configure(move |cfg| sandbox.configure(cfg)))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("a local port is free");
    let addr = server.addrs()[0];
    tokio::spawn(server.run());
    Url::parse(&format!("http://{addr}{mount}/")).expect("a valid URL")
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of `attr="…"` in `tag`.
fn attr(tag: &str, attr: &str) -> Option<String> {
    let start = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

/// Opens `consent_url` and presses Approve (`approve`) or Deny; returns where the sandbox
/// redirects the browser (the client's redirect URI with `code`/`error` and `state`). A request
/// the sandbox refuses with a redirect (bad PKCE…) returns that redirect without a page.
///
/// # Errors
///
/// A description of what was not as a browser would expect (no page, no form, no redirect).
pub async fn decide(consent_url: &Url, approve: bool) -> Result<Url, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let location = |res: &reqwest::Response, base: &Url| {
        res.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| base.join(v).ok())
    };
    let page = http
        .get(consent_url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if page.status() == 302 {
        return location(&page, consent_url).ok_or_else(|| "a redirect without Location".into());
    }
    if page.status() != 200 {
        return Err(format!("the consent page answered {}", page.status()));
    }
    let html = page.text().await.map_err(|e| e.to_string())?;
    let form_at = html.find("<form").ok_or("the consent page has no form")?;
    let form_tag = &html[form_at..form_at + html[form_at..].find('>').unwrap_or(0)];
    let action = attr(form_tag, "action").ok_or("the form has no action")?;
    let action = consent_url.join(&action).map_err(|e| e.to_string())?;
    let mut fields: Vec<(String, String)> = html
        .split("<input ")
        .skip(1)
        .filter_map(|tag| {
            let tag = format!(" {}", &tag[..tag.find('>')?]);
            (attr(&tag, "type")? == "hidden").then_some((attr(&tag, "name")?, attr(&tag, "value")?))
        })
        .collect();
    let decision = if approve { "approve" } else { "deny" };
    fields.push(("decision".into(), decision.into()));
    let res = http
        .post(action.clone())
        .form(&fields)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status() != 302 {
        return Err(format!("the decision answered {}", res.status()));
    }
    location(&res, &action).ok_or_else(|| "a redirect without Location".into())
}

/// The value of `name` in `url`'s query.
pub fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
