//! `GET /_admin/records/{type}`: a page where a person trying sandbox mode edits CRM records
//! by hand and watches each change arrive in the product (as a signed webhook, and in the
//! Webhooks Journal).
//!
//! Plain server-rendered HTML, no script and no inline style (the consent page's
//! `Content-Security-Policy` holds), styled like the consent page: its stylesheet
//! ([`sandbox_kit::consent::stylesheet_text`]) plus a few rules for the list, served at
//! `/_admin/records.css`. Every link, form action, redirect and stylesheet URL is relative,
//! so the page works under any mount point.
//!
//! Like every `/_admin` route it is meant for the machine the server runs on (the host's
//! guard decides). A browser on that machine could still be made to POST to it by another
//! site, so an edit must carry a token only the rendered page knows (an HMAC of a random
//! per-sandbox key), and is refused when the browser says it comes from another site
//! (`Sec-Fetch-Site`) or another origin (`Origin`). The page may not be framed.
//!
//! After an edit the answer is `303 See Other` back to the list, with a short notice the
//! sandbox itself wrote (kept a little while under a random key: the URL carries the key,
//! never text another site could choose).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sandbox_kit::consent::{CONTENT_SECURITY_POLICY, escape, stylesheet_text};
use sha2::Sha256;

use crate::Sandbox;
use crate::edit::{self, EditError, Editable, Kind, capitalised, singular};
use crate::seed::{ObjectType, Record};
use crate::store;

/// Records listed per type.
pub(crate) const PAGE_SIZE: usize = 25;
/// Notices kept for the redirect that shows them.
const KEPT_NOTICES: usize = 64;
/// The form field carrying the token.
pub(crate) const TOKEN_FIELD: &str = "_token";
/// The form field carrying the last-modified time the form was rendered at.
pub(crate) const VERSION_FIELD: &str = "_version";

/// The page's own state: the key its tokens are made with, and the notices waiting to be
/// shown.
pub(crate) struct PageState {
    key: [u8; 32],
    notices: Mutex<VecDeque<(String, Notice)>>,
}

impl std::fmt::Debug for PageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageState([redacted])")
    }
}

impl Default for PageState {
    fn default() -> Self {
        Self {
            key: rand::random(),
            notices: Mutex::default(),
        }
    }
}

#[derive(Clone, Debug)]
struct Notice {
    ok: bool,
    text: String,
}

impl PageState {
    fn mac(&self) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(b"hubspot-sandbox records form v1");
        mac
    }

    /// The token every form of the page carries.
    pub(crate) fn token(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.mac().finalize().into_bytes())
    }

    fn token_ok(&self, token: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| self.mac().verify_slice(&bytes).is_ok())
    }

    fn keep(&self, notice: Notice) -> String {
        let key = uuid::Uuid::new_v4().simple().to_string();
        let mut notices = crate::webhooks::lock(&self.notices);
        notices.push_back((key.clone(), notice));
        while notices.len() > KEPT_NOTICES {
            notices.pop_front();
        }
        key
    }

    fn notice(&self, key: &str) -> Option<Notice> {
        crate::webhooks::lock(&self.notices)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.clone())
    }
}

/// Extra rules on top of the consent stylesheet: a wide page, tabs, notices, record forms.
/// Colours only through the consent palette's roles.
const RULES: &str = r"
body{display:block;padding:16px}
main{max-width:1100px;margin:0 auto}
.intro{max-width:70ch}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:8px;padding:0;margin:16px 0}
nav li{margin:0}
nav a{display:inline-block;padding:8px 16px;border:1px solid var(--border);border-radius:6px;color:var(--accent);font-weight:600;text-decoration:none}
nav a[aria-current=page]{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.notice{border:1px solid var(--border);border-left:6px solid var(--accent);border-radius:6px;padding:10px 14px;margin:0 0 12px}
.notice p{margin:0}
.notice.error{border-left-color:var(--danger)}
.notice.error strong{color:var(--danger)}
ol.records{list-style:none;padding:0;margin:0}
ol.records>li{border-top:1px solid var(--border);padding:16px 0;margin:0}
.records h3{font-size:16px;margin:0 0 4px}
.records .record-form{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px 14px;padding:8px 0 0;justify-content:stretch}
.field{display:flex;flex-direction:column;gap:4px}
.field label{font-size:13px;font-weight:600}
.field .name{color:var(--muted);font-weight:400}
input,select{font:inherit;font-size:14px;padding:6px 8px;min-height:36px;border:1px solid var(--muted);border-radius:4px;background:var(--surface);color:var(--text);width:100%}
.actions{display:flex;align-items:flex-end}
.actions button{min-height:36px;padding:6px 18px;font-size:14px}
@media (forced-colors:active){nav a[aria-current=page]{border-width:3px}}
";

/// `GET /_admin/records.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(format!("{}\n{RULES}", stylesheet_text()))
}

/// A page `depth` segments below `/_admin/` (for the relative stylesheet URL).
fn page(status: StatusCode, depth: usize, title: &str, body: &str) -> HttpResponse {
    let css = format!("{}records.css", "../".repeat(depth));
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
        .insert_header(("x-content-type-options", "nosniff"))
        .body(html)
}

/// Links to every type; `prefix` leads from the page to `/_admin/records/`.
fn tabs(current: Option<ObjectType>, prefix: &str) -> String {
    let mut out = String::from("<nav aria-label=\"Record types\"><ul>");
    for object in ObjectType::ALL {
        let current = if Some(object) == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li><a href=\"{prefix}{name}\"{current}>{label}</a></li>",
            name = object.name(),
            label = capitalised(object.name()),
        );
    }
    out.push_str("</ul></nav>");
    out
}

fn frame(heading: &str, inner: &str) -> String {
    format!(
        "<main aria-labelledby=\"title\"><p class=\"banner\">HubSpot sandbox — no real account \
         is used</p><div class=\"body\"><h1 id=\"title\">{}</h1>{inner}</div></main>",
        escape(heading)
    )
}

fn notice_html(notice: &Notice) -> String {
    if notice.ok {
        format!(
            "<div class=\"notice\" role=\"status\"><p>{}</p></div>",
            escape(&notice.text)
        )
    } else {
        format!(
            "<div class=\"notice error\" role=\"alert\"><p><strong>Not saved.</strong> {}</p></div>",
            escape(&notice.text)
        )
    }
}

/// A person's name for a record: the contact's name (or e-mail), else its type's name or title.
fn display_name(object: ObjectType, record: &Record) -> String {
    let get = |name: &str| {
        record
            .properties
            .get(name)
            .map_or("", |v| v.trim())
            .to_owned()
    };
    let name = match object {
        ObjectType::Contacts => {
            let full = format!("{} {}", get("firstname"), get("lastname"));
            let full = full.trim().to_owned();
            if full.is_empty() { get("email") } else { full }
        }
        ObjectType::Companies => get("name"),
        ObjectType::Deals => get("dealname"),
        ObjectType::Tickets => get("subject"),
        ObjectType::Products | ObjectType::LineItems | ObjectType::Pets => get("name"),
        ObjectType::Quotes => get("hs_title"),
        ObjectType::Calls => get("hs_call_title"),
        ObjectType::Emails => get("hs_email_subject"),
        ObjectType::Meetings => get("hs_meeting_title"),
        ObjectType::Notes => get("hs_note_body"),
        ObjectType::Tasks => get("hs_task_subject"),
    };
    if name.is_empty() {
        "(no name)".to_owned()
    } else {
        name
    }
}

fn field_html(id: u64, property: &Editable, current: &str) -> String {
    let field_id = format!("r{id}-{}", property.name);
    let mut out = format!(
        "<div class=\"field\"><label for=\"{field_id}\">{} <span class=\"name\">{}</span></label>",
        escape(property.label),
        escape(property.name)
    );
    match property.kind {
        Kind::Choice(options) => {
            let _ = write!(out, "<select id=\"{field_id}\" name=\"{}\">", property.name);
            if !property.required || current.is_empty() {
                let selected = if current.is_empty() { " selected" } else { "" };
                let _ = write!(out, "<option value=\"\"{selected}>(none)</option>");
            }
            if !current.is_empty() && !options.contains(&current) {
                let _ = write!(
                    out,
                    "<option value=\"{0}\" selected>{0}</option>",
                    escape(current)
                );
            }
            for option in options {
                let selected = if *option == current { " selected" } else { "" };
                let _ = write!(
                    out,
                    "<option value=\"{0}\"{selected}>{0}</option>",
                    escape(option)
                );
            }
            out.push_str("</select>");
        }
        kind => {
            let extra = match kind {
                Kind::Email => " inputmode=\"email\" spellcheck=\"false\"",
                Kind::Number => " inputmode=\"decimal\"",
                Kind::DateTime => " placeholder=\"YYYY-MM-DD\"",
                Kind::Text | Kind::Choice(_) => "",
            };
            let required = if property.required { " required" } else { "" };
            let _ = write!(
                out,
                "<input type=\"text\" id=\"{field_id}\" name=\"{}\" value=\"{}\" \
                 autocomplete=\"off\"{extra}{required}>",
                property.name,
                escape(current)
            );
        }
    }
    out.push_str("</div>");
    out
}

/// The live records listed, with their last-modified times; and how many live records there
/// are.
fn first_live(sandbox: &Sandbox, object: ObjectType) -> (Vec<(Record, i64)>, usize) {
    let catalog = &sandbox.shared.catalog;
    let state = sandbox.shared.lock();
    let empty = store::Mutations::new();
    let mutations = state.mutations.get(&object).unwrap_or(&empty);
    let gone = mutations
        .values()
        .filter(|m| m.archived_ms.is_some() || m.deleted)
        .count();
    let live = catalog.count(object).saturating_sub(gone);
    let records = (0..catalog.count(object))
        .filter(|&i| store::is_live(catalog.id(object, i), mutations))
        .take(PAGE_SIZE)
        .map(|i| {
            (
                store::record(catalog, object, i, mutations),
                edit::modified_ms(catalog, object, i, mutations),
            )
        })
        .collect();
    (records, live)
}

fn webhooks_line(sandbox: &Sandbox, object: ObjectType) -> String {
    let event = format!("{}.propertyChange", singular(object));
    match sandbox.webhook_subscription() {
        Some(subscription) => {
            // The target's query may hold a secret of the receiver's: show where, not that.
            let mut target = subscription.url.clone();
            target.set_query(None);
            target.set_fragment(None);
            let _ = target.set_password(None);
            format!(
                "<p class=\"muted\">Webhooks: each changed property is sent as a signed \
                 <code>{event}</code> event to {} (app <code>{}</code>) and written to the \
                 Webhooks Journal.</p>",
                escape(target.as_str()),
                escape(&subscription.client_id)
            )
        }
        None => format!(
            "<p class=\"muted\">Webhooks: no subscription yet (connect the product to this \
             sandbox first). Each changed property is still written to the Webhooks Journal \
             as a <code>{event}</code> event.</p>"
        ),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct PageQuery {
    notice: Option<String>,
}

/// `GET /_admin/records/{type}`.
pub(crate) async fn list(
    sandbox: web::Data<Sandbox>,
    object_type: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let Some(object) = sandbox.shared.properties.object(object_type.as_str()) else {
        return unknown_type(object_type.as_str(), 1, "");
    };
    let notice = query
        .notice
        .as_deref()
        .and_then(|key| sandbox.shared.records_page.notice(key));
    let (records, live) = first_live(&sandbox, object);
    let token = sandbox.shared.records_page.token();
    let noun = object.name();
    let mut inner = String::new();
    if let Some(notice) = &notice {
        inner.push_str(&notice_html(notice));
    }
    let _ = write!(
        inner,
        "<p class=\"intro\">Change a value and save: the {one}'s last-modified date moves to \
         now and the product sees the change live, as it would see an edit made in HubSpot.</p>{}{}",
        webhooks_line(&sandbox, object),
        tabs(Some(object), ""),
        one = singular(object),
    );
    let _ = write!(
        inner,
        "<h2 id=\"listed\">The first {} of {live} live {noun}, by id</h2><ol class=\"records\" \
         aria-labelledby=\"listed\">",
        records.len()
    );
    for (record, modified_ms) in &records {
        let name = display_name(object, record);
        let _ = write!(
            inner,
            "<li id=\"record-{id}\"><h3>{name} <span class=\"name muted\">{one} {id}</span></h3>\
             <p class=\"muted\">Last modified {modified}</p>\
             <form class=\"record-form\" method=\"post\" action=\"{noun}/{id}\">\
             <input type=\"hidden\" name=\"{TOKEN_FIELD}\" value=\"{token}\">\
             <input type=\"hidden\" name=\"{VERSION_FIELD}\" value=\"{modified_ms}\">",
            id = record.id,
            name = escape(&name),
            one = singular(object),
            modified = escape(
                record
                    .properties
                    .get(object.modified_property())
                    .map_or("", String::as_str)
            ),
        );
        for property in edit::editable(object) {
            let current = record
                .properties
                .get(property.name)
                .map_or("", String::as_str);
            inner.push_str(&field_html(record.id, property, current));
        }
        let _ = write!(
            inner,
            "<div class=\"actions\"><button type=\"submit\" class=\"approve\">Save {} {}</button></div></form></li>",
            singular(object),
            record.id
        );
    }
    inner.push_str("</ol>");
    if records.is_empty() {
        let _ = write!(inner, "<p>No live {noun} are left in this sandbox.</p>");
    }
    let heading = format!("Edit {noun}");
    page(StatusCode::OK, 1, &heading, &frame(&heading, &inner))
}

fn unknown_type(name: &str, depth: usize, prefix: &str) -> HttpResponse {
    let inner = format!(
        "{}{}",
        notice_html(&Notice {
            ok: false,
            text: format!("There is no object type '{name}' in this sandbox."),
        }),
        tabs(None, prefix)
    );
    page(
        StatusCode::NOT_FOUND,
        depth,
        "Unknown object type",
        &frame("Unknown object type", &inner),
    )
}

/// Why a POST is not trusted to come from the page, if it is not.
fn cross_site(req: &HttpRequest) -> Option<&'static str> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("\u{0}"))
    };
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some("the browser says this form was sent from another site.");
    }
    if let Some(origin) = header("origin") {
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| header("host").map(str::to_owned));
        let same = url::Url::parse(origin).ok().is_some_and(|o| {
            let origin_host = match (o.host_str(), o.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => String::new(),
            };
            host.is_some_and(|h| h.eq_ignore_ascii_case(&origin_host))
        });
        if !same {
            return Some("the browser says this form was sent from another origin.");
        }
    }
    None
}

/// `POST /_admin/records/{type}/{id}` (form-encoded): sets the fields sent that differ from
/// the record's values, then `303` back to the list with a notice.
pub(crate) async fn edit(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (object_type, id_text) = path.into_inner();
    let Some(object) = sandbox.shared.properties.object(&object_type) else {
        return unknown_type(&object_type, 2, "../");
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = fields
        .iter()
        .find(|(k, _)| k == TOKEN_FIELD)
        .map(|(_, v)| v.as_str());
    let refusal = cross_site(&req).or(match token {
        None => Some("the form carried no page token; reload the page and try again."),
        Some(token) if !sandbox.shared.records_page.token_ok(token) => {
            Some("the form's page token is not this sandbox's; reload the page and try again.")
        }
        Some(_) => None,
    });
    if let Some(reason) = refusal {
        let inner = format!(
            "{}<p><a href=\"../{}\">Back to the {} of this sandbox</a></p>",
            notice_html(&Notice {
                ok: false,
                text: format!("Refused: {reason}"),
            }),
            object.name(),
            object.name(),
        );
        return page(
            StatusCode::FORBIDDEN,
            2,
            "Edit refused",
            &frame("Edit refused", &inner),
        );
    }
    let notice = match id_text.trim().parse::<u64>() {
        Ok(id) => apply_form(&sandbox, object, id, &fields),
        Err(_) => Notice {
            ok: false,
            text: format!("'{id_text}' is not a record id: ids are numbers."),
        },
    };
    let anchor = id_text
        .trim()
        .parse::<u64>()
        .map(|id| format!("#record-{id}"))
        .unwrap_or_default();
    let key = sandbox.shared.records_page.keep(notice);
    HttpResponse::SeeOther()
        .insert_header((
            "location",
            format!("../{}?notice={key}{anchor}", object.name()),
        ))
        .insert_header(("cache-control", "no-store"))
        .finish()
}

/// Checks and applies the posted fields; the notice says what happened.
fn apply_form(
    sandbox: &Sandbox,
    object: ObjectType,
    id: u64,
    fields: &[(String, String)],
) -> Notice {
    let one = singular(object);
    let error = |e: EditError| Notice {
        ok: false,
        text: e.to_string(),
    };
    if sandbox
        .record_property(object, id, "hs_object_id")
        .is_none()
        || !sandbox.is_live(object, id)
    {
        return error(EditError::NoSuchRecord { object, id });
    }
    let mut version = None;
    let mut values = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in fields {
        match name.as_str() {
            TOKEN_FIELD => {}
            VERSION_FIELD => match value.trim().parse::<i64>() {
                Ok(ms) => version = Some(ms),
                Err(_) => {
                    return Notice {
                        ok: false,
                        text: "The form's version field is not a number.".to_owned(),
                    };
                }
            },
            name => {
                if seen.contains(&name) {
                    return Notice {
                        ok: false,
                        text: format!("Property '{name}' was sent twice."),
                    };
                }
                seen.push(name);
                // A field posted back as rendered is no change, whatever it holds.
                if edit::lookup(object, name).is_ok()
                    && sandbox
                        .record_property(object, id, name)
                        .unwrap_or_default()
                        == *value
                {
                    continue;
                }
                match sandbox.check_edit(object, id, name, value) {
                    Ok(checked) => values.push(checked),
                    Err(e) => return error(e),
                }
            }
        }
    }
    if !seen.is_empty() && values.is_empty() {
        return Notice {
            ok: true,
            text: format!("Nothing to save: {one} {id} already has these values."),
        };
    }
    if values.is_empty() {
        return Notice {
            ok: false,
            text: "The form named no property to change.".to_owned(),
        };
    }
    match sandbox.edit_properties(object, id, &values, version) {
        Err(e) => error(e),
        Ok(changed) if changed.is_empty() => Notice {
            ok: true,
            text: format!("Nothing to save: {one} {id} already has these values."),
        },
        Ok(changed) => {
            let list: Vec<String> = changed
                .iter()
                .map(|name| {
                    let value = sandbox
                        .record_property(object, id, name)
                        .unwrap_or_default();
                    format!("{name} = \"{value}\"")
                })
                .collect();
            let sent = if sandbox.webhook_subscription().is_some() {
                format!(
                    "{} {one}.propertyChange webhook event{} on the way",
                    changed.len(),
                    if changed.len() == 1 { "" } else { "s" }
                )
            } else {
                "in the Webhooks Journal (no webhook subscription)".to_owned()
            };
            Notice {
                ok: true,
                text: format!("Saved {one} {id}: {} ({sent}).", list.join(", ")),
            }
        }
    }
}

impl Sandbox {
    /// Whether record `id` of `object` exists and is neither archived nor deleted.
    pub(crate) fn is_live(&self, object: ObjectType, id: u64) -> bool {
        let catalog = &self.shared.catalog;
        if catalog.index_of(object, id).is_none() {
            return false;
        }
        let state = self.shared.lock();
        state
            .mutations
            .get(&object)
            .is_none_or(|m| store::is_live(id, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_use_only_the_consent_palette() {
        let sheet = stylesheet_text();
        for var in RULES.split("var(--").skip(1) {
            let role = var.split(')').next().unwrap_or_default();
            assert!(sheet.contains(&format!("--{role}:")), "no role {role}");
        }
        assert!(!RULES.contains('#'), "colours only through roles");
    }

    #[test]
    fn tokens_verify_only_for_the_same_key() {
        let (a, b) = (PageState::default(), PageState::default());
        assert!(a.token_ok(&a.token()));
        assert!(!a.token_ok(&b.token()));
        assert!(!a.token_ok(""));
        assert!(!a.token_ok("not base64!"));
    }
}
