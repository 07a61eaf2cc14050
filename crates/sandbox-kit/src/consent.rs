//! The pages a person sees: the consent page and the error page.
//!
//! No script, no inline style, no external asset: they work offline and under
//! `Content-Security-Policy: default-src 'self'` (sent with them), the stylesheet being served by
//! the sandbox at `_assets/consent.css`. Colours meet WCAG AA in light and dark schemes (tested
//! below). Browser tests click the buttons by their text, so "Approve" and "Deny" are fixed.

use std::fmt::Write as _;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// The policy the pages are written for.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `text` safe inside HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
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

const LIGHT: &[(&str, &str)] = &[
    ("bg", "#f4f5f7"),
    ("surface", "#ffffff"),
    ("text", "#1f2328"),
    ("muted", "#505a66"),
    ("border", "#c9ced6"),
    ("accent", "#1f5fbf"),
    ("accent-hover", "#174a96"),
    ("on-accent", "#ffffff"),
    ("banner", "#6b4400"),
    ("on-banner", "#ffffff"),
    ("danger", "#b3202a"),
    ("focus", "#0b57d0"),
];

const DARK: &[(&str, &str)] = &[
    ("bg", "#121417"),
    ("surface", "#1d2126"),
    ("text", "#e8eaed"),
    ("muted", "#b4bcc6"),
    ("border", "#444c56"),
    ("accent", "#8ab4f8"),
    ("accent-hover", "#aecbfa"),
    ("on-accent", "#10151c"),
    ("banner", "#f2c46d"),
    ("on-banner", "#1d1400"),
    ("danger", "#ff8a8f"),
    ("focus", "#8ab4f8"),
];

/// Every (text, background) pair the rules produce; AA text contrast is 4.5:1.
#[cfg(test)]
const TEXT_ON: &[(&str, &str)] = &[
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "surface"),
    ("on-accent", "accent"),
    ("on-accent", "accent-hover"),
    ("on-banner", "banner"),
    ("danger", "surface"),
];

/// Non-text contrast (focus ring, button border) is 3:1.
#[cfg(test)]
const RING_ON: &[(&str, &str)] = &[("focus", "surface"), ("focus", "bg")];

const RULES: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:var(--bg);color:var(--text);
 display:flex;min-height:100vh;align-items:center;justify-content:center;padding:16px}
main{background:var(--surface);color:var(--text);border:1px solid var(--border);border-radius:10px;max-width:480px;width:100%;overflow:hidden}
.banner{background:var(--banner);color:var(--on-banner);font-size:13px;font-weight:600;padding:6px 24px;margin:0}
.body{padding:20px 24px}
h1{font-size:20px;margin:0 0 8px;line-height:1.3}
p{margin:0 0 12px;line-height:1.5}
.muted{color:var(--muted);font-size:14px}
h2{font-size:14px;margin:16px 0 8px}
ul{margin:0;padding-left:20px}
li{margin:4px 0;line-height:1.4}
form{display:flex;gap:12px;justify-content:flex-end;flex-wrap:wrap;padding:0 24px 24px}
button{font:inherit;font-size:15px;font-weight:600;border-radius:6px;padding:10px 22px;cursor:pointer;min-height:44px}
button:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.approve{background:var(--accent);border:1px solid var(--accent);color:var(--on-accent)}
.approve:hover{background:var(--accent-hover);border-color:var(--accent-hover)}
.deny{background:var(--surface);border:1px solid var(--text);color:var(--text)}
.error h1{color:var(--danger)}
@media (forced-colors:active){button{border:1px solid ButtonText}}
"#;

fn custom_properties(palette: &[(&str, &str)]) -> String {
    let mut out = String::from(":root{color-scheme:light dark;");
    for (role, colour) in palette {
        let _ = write!(out, "--{role}:{colour};");
    }
    out.push('}');
    out
}

/// The stylesheet text.
pub fn stylesheet_text() -> String {
    format!(
        "{}\n@media (prefers-color-scheme: dark){{{}}}\n{RULES}",
        custom_properties(LIGHT),
        custom_properties(DARK)
    )
}

/// `GET /_assets/consent.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(stylesheet_text())
}

/// A page `depth` path segments below the mount's `oauth/` (the stylesheet is relative, so the
/// sandbox works under any mount point).
fn page(status: StatusCode, depth: usize, title: &str, body: &str) -> HttpResponse {
    let css = format!("{}_assets/consent.css", "../".repeat(depth));
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{css}\"></head><body>{body}</body></html>\n",
        escape(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
        .insert_header(("x-frame-options", "DENY"))
        .body(html)
}

/// A refused authorization request (or consent form), shown rather than redirected.
pub(crate) fn error_page(status: u16, depth: usize, title: &str, detail: &str) -> HttpResponse {
    let body = format!(
        "<main class=\"error\"><p class=\"banner\">Sandbox</p><div class=\"body\">\
         <h1>{}</h1><p>{}</p></div></main>",
        escape(title),
        escape(detail)
    );
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    page(status, depth, title, &body)
}

pub(crate) struct Consent<'a> {
    pub provider: &'a str,
    pub account: &'a str,
    /// The signed-in user, if the provider names one.
    pub user: Option<&'a str>,
    /// The app's name (or client id).
    pub client: &'a str,
    pub redirect_uri: &'a str,
    pub permissions: &'a [String],
    /// Request parameters carried to the decision.
    pub hidden: &'a [(&'a str, &'a str)],
}

pub(crate) fn consent_page(c: &Consent<'_>) -> HttpResponse {
    let host = url::Url::parse(c.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| c.redirect_uri.to_owned());
    let mut body = format!(
        "<main aria-labelledby=\"title\"><p class=\"banner\">{provider} sandbox — no real account is used</p>\
         <div class=\"body\"><h1 id=\"title\">Allow <span>{client}</span> to access {account}?</h1>\
         <p class=\"muted\">Signed in to {provider} as {user}. After you choose, you \
         return to {host}.</p>",
        provider = escape(c.provider),
        user = escape(c.user.unwrap_or("the sandbox user")),
        client = escape(c.client),
        account = escape(c.account),
        host = escape(&host),
    );
    if !c.permissions.is_empty() {
        body.push_str("<h2>This app will be able to</h2><ul>");
        for p in c.permissions {
            let _ = write!(body, "<li>{}</li>", escape(p));
        }
        body.push_str("</ul>");
    }
    body.push_str("</div><form method=\"post\" action=\"authorize/decision\">");
    for (name, value) in c.hidden {
        let _ = write!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    body.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"deny\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"approve\" class=\"approve\">Approve</button>\
         </form></main>",
    );
    page(
        StatusCode::OK,
        1,
        &format!("Connect to {}", c.provider),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    fn colour(palette: &[(&str, &'static str)], role: &str) -> &'static str {
        palette
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| panic!("no role {role}"))
    }

    #[test]
    fn colours_meet_wcag_aa_in_light_and_dark() {
        for palette in [LIGHT, DARK] {
            for (fg, bg) in TEXT_ON {
                let ratio = contrast(colour(palette, fg), colour(palette, bg));
                assert!(ratio >= 4.5, "{fg} on {bg}: {ratio:.2}");
            }
            for (fg, bg) in RING_ON {
                let ratio = contrast(colour(palette, fg), colour(palette, bg));
                assert!(ratio >= 3.0, "{fg} on {bg}: {ratio:.2}");
            }
        }
    }

    #[test]
    fn rules_use_only_palette_roles() {
        for var in RULES.split("var(--").skip(1) {
            let role = var.split(')').next().unwrap_or_default();
            colour(LIGHT, role);
            colour(DARK, role);
        }
        assert!(!RULES.contains('#'), "colours only through roles");
    }

    #[test]
    fn pages_have_no_inline_script_or_style() {
        let response = error_page(400, 1, "<x>", "\"y\"");
        assert!(
            response
                .headers()
                .get("content-security-policy")
                .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("default-src 'self'")))
        );
        assert_eq!(
            escape("<a href=\"x\">'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;"
        );
    }
}
