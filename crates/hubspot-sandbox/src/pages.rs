//! The HTML pages a person sees: the consent screen and the authorize error page.
//!
//! No scripts, no inline styles and no external assets: the pages must work offline and under
//! a strict `Content-Security-Policy: default-src 'self'`, so their CSS is served by the sandbox
//! itself ([`stylesheet`]). Colours meet WCAG AA contrast in light and dark schemes (tested
//! below). Browser tests click the buttons by their text, so "Approve" and "Deny" are fixed.

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

/// Colours by role, light scheme. Every colour in the stylesheet is one of these roles.
const LIGHT: &[(&str, &str)] = &[
    ("bg", "#f5f8fa"),
    ("surface", "#ffffff"),
    ("text", "#33475b"),
    ("muted", "#4a6584"),
    ("border", "#cbd6e2"),
    ("accent", "#b93a18"),
    ("accent-hover", "#9c3114"),
    ("on-accent", "#ffffff"),
    ("logo", "#2d3e50"),
    ("on-logo", "#ffffff"),
    ("chip", "#eaf0f6"),
    ("success", "#00735f"),
    ("danger", "#b3202a"),
    ("danger-bg", "#fdedee"),
    ("focus", "#0a5cc2"),
];

/// The same roles for `prefers-color-scheme: dark`.
const DARK: &[(&str, &str)] = &[
    ("bg", "#111a22"),
    ("surface", "#1c2833"),
    ("text", "#e6edf3"),
    ("muted", "#b3c3d4"),
    ("border", "#3c4d5e"),
    ("accent", "#ff8f6b"),
    ("accent-hover", "#ffa98e"),
    ("on-accent", "#1a1a1a"),
    ("logo", "#eaf0f6"),
    ("on-logo", "#1c2833"),
    ("chip", "#2b3a48"),
    ("success", "#4fd1b5"),
    ("danger", "#ff8a8f"),
    ("danger-bg", "#3a1f24"),
    ("focus", "#7cb8ff"),
];

/// Every (text, background) pairing the rules below produce. WCAG 2.x AA: 4.5:1 for text.
#[cfg(test)]
const TEXT_ON: &[(&str, &str)] = &[
    ("text", "bg"),                // body; .account b on .account
    ("muted", "bg"),               // .account span
    ("text", "surface"),           // .card h1, li, .deny
    ("muted", "surface"),          // .sub, h2, code, .opt, .note
    ("text", "bg"),                // .deny:hover
    ("on-accent", "accent"),       // .banner, .approve
    ("on-accent", "accent-hover"), // .approve:hover
    ("on-logo", "logo"),           // .logo
    ("text", "chip"),              // .hub
    ("success", "surface"),        // .tick
    ("danger", "surface"),         // .error h1
    ("text", "danger-bg"),         // .error pre
];

/// The focus ring against what it is drawn on. WCAG 2.x AA non-text contrast: 3:1.
#[cfg(test)]
const RING_ON: &[(&str, &str)] = &[("focus", "surface"), ("focus", "bg")];

/// The rules; colours only through `var(--role)` so the contrast tests cover all of them.
const RULES: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 background:var(--bg);color:var(--text);display:flex;min-height:100vh;align-items:center;justify-content:center;padding:24px}
.card{background:var(--surface);color:var(--text);border:1px solid var(--border);border-radius:8px;max-width:520px;width:100%;overflow:hidden}
.banner{background:var(--accent);color:var(--on-accent);font-size:12px;letter-spacing:.06em;text-transform:uppercase;
 padding:6px 24px;font-weight:600}
.head{padding:24px 24px 8px;display:flex;gap:16px;align-items:center}
.logo{width:48px;height:48px;border-radius:10px;background:var(--logo);color:var(--on-logo);font-weight:700;
 display:flex;align-items:center;justify-content:center;font-size:20px;flex:none}
h1{font-size:20px;margin:0 0 4px}
.sub{font-size:14px;color:var(--muted);margin:0}
.section{padding:12px 24px}
.account{display:flex;justify-content:space-between;align-items:center;border:1px solid var(--border);
 border-radius:6px;padding:12px 16px;background:var(--bg);color:var(--text)}
.account b{display:block;font-size:15px}
.account span{font-size:13px;color:var(--muted)}
.account .hub{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:var(--chip);color:var(--text);border-radius:4px;padding:2px 6px}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:8px 0}
ul{list-style:none;margin:0;padding:0}
li{display:flex;gap:10px;padding:8px 0;border-bottom:1px solid var(--border);font-size:14px}
li:last-child{border-bottom:0}
.tick{color:var(--success);font-weight:700}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:var(--muted)}
.opt{font-size:11px;color:var(--muted);border:1px solid var(--border);border-radius:10px;padding:0 6px;margin-left:6px}
.actions{display:flex;gap:12px;justify-content:flex-end;padding:16px 24px 24px}
button{font:inherit;font-size:14px;font-weight:600;border-radius:4px;padding:10px 22px;cursor:pointer}
button:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.approve{background:var(--accent);border:1px solid var(--accent);color:var(--on-accent)}
.approve:hover{background:var(--accent-hover);border-color:var(--accent-hover)}
.deny{background:var(--surface);border:1px solid var(--border);color:var(--text)}
.deny:hover{background:var(--bg)}
.note{font-size:12px;color:var(--muted);padding:0 24px 20px;margin:0}
.error h1{color:var(--danger)}
.error pre{white-space:pre-wrap;background:var(--danger-bg);color:var(--text);border-radius:4px;padding:12px;font-size:13px}
"#;

fn custom_properties(palette: &[(&str, &str)]) -> String {
    let mut out = String::from(":root{");
    for (role, colour) in palette {
        let _ = write!(out, "--{role}:{colour};");
    }
    out.push('}');
    out
}

/// The consent and error pages' stylesheet, served at `_assets/consent.css` under the mount:
/// a strict `Content-Security-Policy: default-src 'self'` blocks inline `<style>`.
pub(crate) fn stylesheet_text() -> String {
    format!(
        "{}\n@media (prefers-color-scheme: dark){{{}}}\n{RULES}",
        custom_properties(LIGHT),
        custom_properties(DARK)
    )
}

/// `GET /_assets/consent.css`.
pub(crate) async fn stylesheet() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(stylesheet_text())
}

/// The policy the pages are written for; sent with them so the sandbox alone enforces it too.
pub(crate) const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `css` is the stylesheet's URL relative to the page (pages live at different depths).
fn page(title: &str, css: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{}\"></head><body>{body}</body></html>\n",
        escape(title),
        escape(css)
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
    /// A PKCE `S256` challenge to carry through to the decision.
    pub code_challenge: Option<&'a str>,
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
    if let Some(challenge) = c.code_challenge {
        field("code_challenge", challenge);
        field("code_challenge_method", "S256");
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
    // Served at `{mount}/oauth/authorize`.
    page(
        &format!("Connect {} | HubSpot", c.app_name),
        "../_assets/consent.css",
        &body,
    )
}

/// An error page; `css` as for [`page`] (`../_assets/consent.css` from
/// `{mount}/oauth/authorize`, `../../_assets/consent.css` from `…/authorize/decision`).
pub(crate) fn error(title: &str, detail: &str, css: &str) -> String {
    let body = format!(
        "<main class=\"card error\"><div class=\"banner\">HubSpot sandbox</div>\
         <div class=\"section\"><h1>{}</h1><p class=\"sub\">The app that sent you here made an \
         invalid authorization request. Nothing was shared.</p><pre>{}</pre></div></main>",
        escape(title),
        escape(detail)
    );
    page(title, css, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(c: u8) -> f64 {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// WCAG 2.x relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let hex = hex.strip_prefix('#').expect("#rrggbb");
        assert_eq!(hex.len(), 6, "{hex}");
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex");
        0.2126 * channel(byte(0)) + 0.7152 * channel(byte(2)) + 0.0722 * channel(byte(4))
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    fn colour<'a>(palette: &'a [(&str, &str)], role: &str) -> &'a str {
        palette
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| panic!("no colour for role {role}"))
    }

    #[test]
    fn contrast_formula_matches_known_values() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        // HubSpot's orange under white text: the axe finding this palette fixes.
        assert!(contrast("#ffffff", "#ff7a59") < 4.5);
    }

    #[test]
    fn every_text_colour_reaches_wcag_aa_in_light_and_dark() {
        for (scheme, palette) in [("light", LIGHT), ("dark", DARK)] {
            for (fg, bg) in TEXT_ON {
                let ratio = contrast(colour(palette, fg), colour(palette, bg));
                assert!(ratio >= 4.5, "{scheme}: {fg} on {bg} is {ratio:.2}:1");
            }
            for (ring, bg) in RING_ON {
                let ratio = contrast(colour(palette, ring), colour(palette, bg));
                assert!(
                    ratio >= 3.0,
                    "{scheme}: {ring} ring on {bg} is {ratio:.2}:1"
                );
            }
        }
    }

    /// The contrast test only means something if the rules cannot colour text any other way.
    #[test]
    fn rules_colour_only_through_tested_roles() {
        assert!(!RULES.contains('#'), "literal colour in the rules");
        assert!(!RULES.contains("rgb"), "literal colour in the rules");
        let text_roles: Vec<&str> = TEXT_ON.iter().map(|(fg, _)| *fg).collect();
        let backgrounds: Vec<&str> = TEXT_ON.iter().map(|(_, bg)| *bg).collect();
        for declaration in RULES.split([';', '{', '}']) {
            let declaration = declaration.trim();
            let Some((property, value)) = declaration.split_once(':') else {
                continue;
            };
            let Some(role) = value
                .split_once("var(--")
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(role, _)| role)
            else {
                continue;
            };
            assert!(
                LIGHT.iter().any(|(r, _)| *r == role) && DARK.iter().any(|(r, _)| *r == role),
                "{role} is not in both palettes"
            );
            match property.trim() {
                "color" => assert!(text_roles.contains(&role), "text colour {role} untested"),
                "background" => assert!(backgrounds.contains(&role), "background {role} untested"),
                _ => {}
            }
        }
    }

    #[test]
    fn focus_is_visible_on_buttons() {
        assert!(RULES.contains("button:focus-visible{outline:3px solid var(--focus)"));
        assert!(!RULES.contains("outline:none") && !RULES.contains("outline:0"));
    }

    #[test]
    fn stylesheet_switches_palette_for_dark_mode() {
        let css = stylesheet_text();
        assert!(css.contains("@media (prefers-color-scheme: dark){:root{--bg:#111a22;"));
        assert!(css.starts_with(":root{--bg:#f5f8fa;"));
    }

    fn sample() -> String {
        let scopes = ["oauth".to_owned(), "crm.objects.contacts.read".to_owned()];
        consent(&Consent {
            app_name: "App <b>",
            hub_domain: "x.hubspot.com",
            hub_id: 1,
            user_email: "u@example.com",
            client_id: "id\"",
            redirect_uri: "http://127.0.0.1/cb",
            scopes: &scopes,
            optional_scopes: &[],
            state: Some("s"),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        })
    }

    /// What a `default-src 'self'` policy blocks: inline scripts, styles and handlers.
    fn assert_csp_safe(html: &str) {
        let lower = html.to_ascii_lowercase();
        for banned in [
            "<script",
            "<style",
            " style=",
            "javascript:",
            " onclick=",
            " onload=",
        ] {
            assert!(!lower.contains(banned), "{banned} in {html}");
        }
        assert!(lower.contains("<link rel=\"stylesheet\" href=\""), "{html}");
    }

    #[test]
    fn consent_and_error_pages_work_under_a_strict_csp() {
        let page = sample();
        assert_csp_safe(&page);
        assert!(page.contains("href=\"../_assets/consent.css\""));
        let error = error("Bad", "detail", "../../_assets/consent.css");
        assert_csp_safe(&error);
        assert!(error.contains("href=\"../../_assets/consent.css\""));
    }

    #[test]
    fn consent_page_escapes_and_carries_the_pkce_challenge() {
        let page = sample();
        assert!(page.contains("App &lt;b&gt;") && !page.contains("App <b>"));
        assert!(page.contains("name=\"client_id\" value=\"id&quot;\""));
        assert!(page.contains(
            "name=\"code_challenge\" value=\"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\""
        ));
        assert!(page.contains("name=\"code_challenge_method\" value=\"S256\""));
        // Keyboard: real buttons in a form, so Tab reaches them and Enter/Space submit.
        assert!(page.contains("<button class=\"approve\" type=\"submit\""));
        assert!(page.contains("<button class=\"deny\" type=\"submit\""));
    }
}
