//! The HTML pages a person sees: the consent screen and the authorize error page.
//!
//! Self-contained (inline CSS, no scripts, no external assets) because sandbox mode must work
//! offline. Browser tests click the buttons by their text, so "Approve" and "Deny" are fixed.

use std::fmt::Write as _;

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 background:#f5f8fa;color:#33475b;display:flex;min-height:100vh;align-items:center;justify-content:center;padding:24px}
.card{background:#fff;border:1px solid #cbd6e2;border-radius:8px;max-width:520px;width:100%;
 box-shadow:0 2px 12px rgba(45,62,80,.12);overflow:hidden}
.banner{background:#ff7a59;color:#fff;font-size:12px;letter-spacing:.06em;text-transform:uppercase;
 padding:6px 24px;font-weight:600}
.head{padding:24px 24px 8px;display:flex;gap:16px;align-items:center}
.logo{width:48px;height:48px;border-radius:10px;background:#2d3e50;color:#fff;font-weight:700;
 display:flex;align-items:center;justify-content:center;font-size:20px;flex:none}
h1{font-size:20px;margin:0 0 4px}
.sub{font-size:14px;color:#516f90;margin:0}
.section{padding:12px 24px}
.account{display:flex;justify-content:space-between;align-items:center;border:1px solid #cbd6e2;
 border-radius:6px;padding:12px 16px;background:#f5f8fa}
.account b{display:block;font-size:15px}
.account span{font-size:13px;color:#516f90}
.hub{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:#eaf0f6;border-radius:4px;padding:2px 6px}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:#516f90;margin:8px 0}
ul{list-style:none;margin:0;padding:0}
li{display:flex;gap:10px;padding:8px 0;border-bottom:1px solid #eaf0f6;font-size:14px}
li:last-child{border-bottom:0}
.tick{color:#00bda5;font-weight:700}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#7c98b6}
.opt{font-size:11px;color:#7c98b6;border:1px solid #cbd6e2;border-radius:10px;padding:0 6px;margin-left:6px}
.actions{display:flex;gap:12px;justify-content:flex-end;padding:16px 24px 24px}
button{font:inherit;font-size:14px;font-weight:600;border-radius:4px;padding:10px 22px;cursor:pointer}
.approve{background:#ff7a59;border:1px solid #ff7a59;color:#fff}
.approve:hover{background:#ff8f73}
.deny{background:#fff;border:1px solid #cbd6e2;color:#33475b}
.deny:hover{background:#f5f8fa}
.note{font-size:12px;color:#7c98b6;padding:0 24px 20px;margin:0}
.error h1{color:#d94c53}
.error pre{white-space:pre-wrap;background:#fdedee;border-radius:4px;padding:12px;font-size:13px;color:#33475b}
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

/// A human description of a scope, for the consent list.
fn describe(scope: &str) -> String {
    let known = match scope {
        "oauth" => Some("Basic OAuth access"),
        "crm.objects.contacts.read" => Some("View contacts"),
        "crm.objects.contacts.write" => Some("Create and edit contacts"),
        "crm.objects.companies.read" => Some("View companies"),
        "crm.objects.companies.write" => Some("Create and edit companies"),
        "crm.objects.deals.read" => Some("View deals"),
        "crm.objects.deals.write" => Some("Create and edit deals"),
        "crm.schemas.contacts.read" => Some("View contact properties"),
        "crm.schemas.companies.read" => Some("View company properties"),
        "crm.schemas.deals.read" => Some("View deal properties"),
        "crm.objects.owners.read" => Some("View owners"),
        "contacts" => Some("Legacy CRM access (contacts, companies, deals)"),
        _ => None,
    };
    known.map_or_else(|| escape(scope), str::to_owned)
}

/// What the consent page needs to show and to post back.
#[derive(Debug)]
pub(crate) struct Consent<'a> {
    pub app_name: &'a str,
    pub hub_domain: &'a str,
    pub hub_id: u64,
    pub user_email: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub optional_scopes: &'a [String],
    pub state: Option<&'a str>,
}

pub(crate) fn consent(c: &Consent<'_>) -> String {
    let initial = c
        .app_name
        .chars()
        .find(|ch| ch.is_alphanumeric())
        .unwrap_or('A')
        .to_uppercase()
        .to_string();
    let mut scopes = String::new();
    for scope in c.scopes {
        let _ = write!(
            scopes,
            "<li><span class=\"tick\">✓</span><div>{}<br><code>{}</code></div></li>",
            describe(scope),
            escape(scope)
        );
    }
    for scope in c.optional_scopes {
        let _ = write!(
            scopes,
            "<li><span class=\"tick\">✓</span><div>{}<span class=\"opt\">optional</span><br><code>{}</code></div></li>",
            describe(scope),
            escape(scope)
        );
    }
    let mut hidden = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        );
    };
    field("client_id", c.client_id);
    field("redirect_uri", c.redirect_uri);
    field("scope", &c.scopes.join(" "));
    if !c.optional_scopes.is_empty() {
        field("optional_scope", &c.optional_scopes.join(" "));
    }
    if let Some(state) = c.state {
        field("state", state);
    }
    let body = format!(
        "<main class=\"card\">\
         <div class=\"banner\">HubSpot sandbox · no real account is used</div>\
         <div class=\"head\"><div class=\"logo\">{initial}</div><div>\
         <h1>Connect {app} to HubSpot</h1>\
         <p class=\"sub\">{app} is requesting access to your HubSpot account.</p></div></div>\
         <div class=\"section\"><h2>Account</h2><div class=\"account\"><div>\
         <b>{domain}</b><span>Signed in as {email}</span></div>\
         <span class=\"hub\">Hub ID {hub_id}</span></div></div>\
         <div class=\"section\"><h2>This app will be able to</h2><ul>{scopes}</ul></div>\
         <form method=\"post\" action=\"authorize/decision\">{hidden}\
         <div class=\"actions\">\
         <button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         <button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         </div></form>\
         <p class=\"note\">You will be sent back to <code>{redirect}</code>.</p>\
         </main>",
        app = escape(c.app_name),
        domain = escape(c.hub_domain),
        email = escape(c.user_email),
        hub_id = c.hub_id,
        redirect = escape(c.redirect_uri),
    );
    page(&format!("Connect {} | HubSpot", c.app_name), &body)
}

pub(crate) fn error(title: &str, detail: &str) -> String {
    let body = format!(
        "<main class=\"card error\"><div class=\"banner\">HubSpot sandbox</div>\
         <div class=\"section\"><h1>{}</h1><p class=\"sub\">The app that sent you here made an \
         invalid authorization request. Nothing was shared.</p><pre>{}</pre></div></main>",
        escape(title),
        escape(detail)
    );
    page(title, &body)
}
