//! The Webhooks Journal (2026-03): every event the sandbox generates for webhooks, kept in
//! order for a while and read by the app with a client-credentials token.
//!
//! Follows `PublicApiSpecs/Webhooks Journal/Webhooks Journal/Rollouts/284944/2026-03/webhooksJournal.json`
//! (paths, `JournalFetchResponse`, `BatchResponseJournalFetchResponse[WithErrors]`,
//! `x-hubspot-rate-limit-exemptions: daily, ten-secondly`) and HubSpot's "Webhook journal
//! APIs" guide (3 days of history, a client-credentials token with
//! `developer.webhooks_journal.read`, a `url` to download each entry's file). Each change to
//! a record is one entry with a random UUID offset; its file is the legacy webhook event
//! ([`webhooks::Event`]) as one JSON line, served at a pre-signed-style sandbox URL
//! (`/_journal/files/{id}`, no authorization) until `expiresAt`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Sandbox;
use crate::crm::validation_error;
use crate::respond;
use crate::seed::ObjectType;
use crate::store::Edit;
use crate::webhooks;

/// How long HubSpot keeps journal entries ("the past 3 days").
pub(crate) const DEFAULT_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long a file URL stays valid (HubSpot does not say; pre-signed URLs are short-lived).
pub(crate) const DEFAULT_URL_TTL: Duration = Duration::from_secs(300);
/// Entries per batch request at most.
pub(crate) const MAX_BATCH: usize = 100;
/// The scope the journal endpoints need (the guide's name for the spec's
/// `webhooks-journal-data-access`).
pub(crate) const READ_SCOPE: &str = "developer.webhooks_journal.read";
/// The scope of the snapshot status endpoint.
pub(crate) const SNAPSHOTS_READ_SCOPE: &str = "developer.webhooks_journal.snapshots.read";
/// Every scope the client-credentials grant may ask for (the guide's list).
pub(crate) const CLIENT_CREDENTIALS_SCOPES: [&str; 5] = [
    READ_SCOPE,
    "developer.webhooks_journal.subscriptions.read",
    "developer.webhooks_journal.subscriptions.write",
    SNAPSHOTS_READ_SCOPE,
    "developer.webhooks_journal.snapshots.write",
];

/// One change, as the journal keeps it (the app-specific fields are filled in when read).
#[derive(Clone, Debug)]
struct Entry {
    offset: Uuid,
    /// When it was appended (epoch ms); it expires after the retention.
    at_ms: i64,
    /// When the change happened (epoch ms): the event's `occurredAt`.
    occurred_at: i64,
    /// Counts from 1 per sandbox: the event's `eventId`.
    event_id: u64,
    object: ObjectType,
    edit: Edit,
    object_id: u64,
    property: Option<(&'static str, String)>,
}

/// A file URL handed out: which entry, for which app, until when.
#[derive(Clone, Debug)]
struct FileGrant {
    offset: Uuid,
    app_id: u64,
    expires_ms: i64,
}

/// The journal of the sandbox's one portal, kept in the sandbox's state.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: VecDeque<Entry>,
    next_event_id: u64,
    files: HashMap<String, FileGrant>,
}

impl Journal {
    /// Appends one entry per changed record, in order.
    pub(crate) fn append(
        &mut self,
        object: ObjectType,
        edit: Edit,
        changes: &[webhooks::Change],
        now_ms: i64,
    ) {
        for change in changes {
            self.next_event_id += 1;
            self.entries.push_back(Entry {
                offset: Uuid::new_v4(),
                at_ms: now_ms,
                occurred_at: now_ms,
                event_id: self.next_event_id,
                object,
                edit,
                object_id: change.object_id,
                property: change.property.clone(),
            });
        }
    }

    /// Drops entries older than `retention`.
    pub(crate) fn prune(&mut self, retention: Duration, now_ms: i64) {
        let keep_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        while self
            .entries
            .front()
            .is_some_and(|e| e.at_ms.saturating_add(keep_ms) <= now_ms)
        {
            self.entries.pop_front();
        }
        self.files.retain(|_, f| f.expires_ms > now_ms);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Makes every entry `by` older.
    pub(crate) fn age(&mut self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        for entry in &mut self.entries {
            entry.at_ms = entry.at_ms.saturating_sub(by);
        }
    }

    fn find(&self, offset: Uuid) -> Option<&Entry> {
        self.entries.iter().find(|e| e.offset == offset)
    }
}

/// Where in the journal a request reads.
#[derive(Clone, Copy, Debug)]
enum Read {
    Earliest,
    Latest,
}

/// What an authenticated journal request knows.
struct Caller {
    app_id: u64,
    /// `false` when `installPortalId` names another portal: that journal is empty.
    this_portal: bool,
    retention: Duration,
    url_ttl: Duration,
}

/// Authenticates a journal call: a live client-credentials token with `scope`. Counted in
/// [`crate::Stats::journal`]; exempt from every rate limit and from injected faults.
async fn caller(sandbox: &Sandbox, req: &HttpRequest, scope: &str) -> Result<Caller, HttpResponse> {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut roll = {
        let mut state = sandbox.shared.lock();
        state.stats.journal += 1;
        state.roll()
    };
    let refuse = |response: HttpResponse, roll: &mut crate::contract::Roll| {
        crate::crm::shape(response, roll)
    };
    let Some(token) = crate::crm::bearer_token(req) else {
        return Err(refuse(respond::missing_auth(), &mut roll));
    };
    let Some(grant) = sandbox.oauth.access_token(token) else {
        return Err(refuse(respond::invalid_auth(), &mut roll));
    };
    if let (false, Some(at), Some(wall)) = (grant.is_active(), grant.expires, grant.expires_at) {
        let ago = std::time::Instant::now().saturating_duration_since(at);
        return Err(refuse(respond::expired_auth(ago, wall), &mut roll));
    }
    // A user's token (authorization code) never carries the developer scopes.
    let granted =
        grant.grant.client_credentials && grant.grant.scope.split(' ').any(|s| s == scope);
    if !granted {
        return Err(refuse(respond::missing_scopes(scope, &mut roll), &mut roll));
    }
    let mut this_portal = true;
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key == "installPortalId" {
            let Ok(portal) = value.trim().parse::<i64>() else {
                return Err(validation_error(&format!(
                    "Invalid value for 'installPortalId': '{value}' is not an integer."
                )));
            };
            this_portal = u64::try_from(portal).ok() == Some(sandbox.shared.portal.hub_id);
        }
    }
    let mut state = sandbox.shared.lock();
    let app_id = state.app_id(&grant.grant.client_id);
    let (retention, url_ttl) = (state.knobs.journal_retention, state.knobs.journal_url_ttl);
    state.journal.prune(retention, now_ms());
    Ok(Caller {
        app_id,
        this_portal,
        retention,
        url_ttl,
    })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `journal` or `journal-local`; anything else is not a route.
fn check_variant(req: &HttpRequest, variant: &str) -> Result<(), HttpResponse> {
    match variant {
        "journal" | "journal-local" => Ok(()),
        _ => Err(respond::unknown_path(req.method().as_str(), req.path())),
    }
}

/// The mount point: everything in the path before `/webhooks-journal/`.
fn mount(req: &HttpRequest) -> String {
    let path = req.path();
    let end = path.find("/webhooks-journal/").unwrap_or(0);
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), &path[..end])
}

/// A `JournalFetchResponse` for `entry`, with a fresh file URL.
fn fetch_response(sandbox: &Sandbox, req: &HttpRequest, caller: &Caller, entry: &Entry) -> Value {
    let file_id = Uuid::new_v4().simple().to_string();
    let ttl = i64::try_from(caller.url_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_ms = now_ms().saturating_add(ttl);
    sandbox.shared.lock().journal.files.insert(
        file_id.clone(),
        FileGrant {
            offset: entry.offset,
            app_id: caller.app_id,
            expires_ms,
        },
    );
    json!({
        "currentOffset": entry.offset.to_string(),
        "expiresAt": crate::time::format(crate::seed::millis_to_time(expires_ms)),
        "url": format!("{}/_journal/files/{file_id}?expires={expires_ms}", mount(req)),
    })
}

/// Runs `f` on the entries a request sees (none for another portal), under the lock: only
/// what `f` picks is copied.
fn with_entries<R>(sandbox: &Sandbox, caller: &Caller, f: impl FnOnce(&VecDeque<Entry>) -> R) -> R {
    if !caller.this_portal {
        return f(&VecDeque::new());
    }
    let mut state = sandbox.shared.lock();
    state.journal.prune(caller.retention, now_ms());
    f(&state.journal.entries)
}

/// Where `offset` is in `entries`; `None` for anything else (expired, never issued, not a UUID).
fn position(entries: &VecDeque<Entry>, offset: &str) -> Option<usize> {
    let offset = Uuid::parse_str(offset).ok()?;
    entries.iter().position(|e| e.offset == offset)
}

fn not_found(offset: &str) -> HttpResponse {
    let shown: String = offset.chars().take(64).collect();
    respond::api_error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        &format!("Journal offset '{shown}' does not exist or has expired."),
    )
}

fn count_of(raw: &str) -> Result<usize, HttpResponse> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_BATCH as i64).contains(&n) => Ok(usize::try_from(n).unwrap_or(1)),
        _ => Err(validation_error(&format!(
            "Invalid value for 'count': '{raw}'. It must be an integer from 1 to {MAX_BATCH}."
        ))),
    }
}

fn batch(sandbox: &Sandbox, req: &HttpRequest, caller: &Caller, picked: &[Entry]) -> HttpResponse {
    let started = crate::time::format(chrono::Utc::now());
    let results: Vec<Value> = picked
        .iter()
        .map(|e| fetch_response(sandbox, req, caller, e))
        .collect();
    respond::json(
        StatusCode::OK,
        &json!({
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": crate::time::format(chrono::Utc::now()),
        }),
    )
}

/// `GET …/earliest` and `…/latest`: the entry, or 204 when the journal is empty.
async fn one(sandbox: &Sandbox, req: &HttpRequest, variant: &str, read: Read) -> HttpResponse {
    if let Err(response) = check_variant(req, variant) {
        return response;
    }
    let caller = match caller(sandbox, req, READ_SCOPE).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let entry = with_entries(sandbox, &caller, |entries| {
        match read {
            Read::Earliest => entries.front(),
            Read::Latest => entries.back(),
        }
        .cloned()
    });
    match entry {
        Some(entry) => respond::json(
            StatusCode::OK,
            &fetch_response(sandbox, req, &caller, &entry),
        ),
        None => HttpResponse::NoContent().finish(),
    }
}

pub(crate) async fn earliest(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    variant: web::Path<String>,
) -> HttpResponse {
    one(&sandbox, &req, &variant, Read::Earliest).await
}

pub(crate) async fn latest(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    variant: web::Path<String>,
) -> HttpResponse {
    one(&sandbox, &req, &variant, Read::Latest).await
}

/// `GET …/offset/{offset}/next`: the entry after `offset`; 404 for an offset that does not
/// exist or expired; 204 when nothing follows it yet.
pub(crate) async fn next(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (variant, offset) = path.into_inner();
    if let Err(response) = check_variant(&req, &variant) {
        return response;
    }
    let caller = match caller(&sandbox, &req, READ_SCOPE).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let found = with_entries(&sandbox, &caller, |entries| {
        position(entries, &offset).map(|i| entries.get(i + 1).cloned())
    });
    match found {
        None => not_found(&offset),
        Some(Some(entry)) => respond::json(
            StatusCode::OK,
            &fetch_response(&sandbox, &req, &caller, &entry),
        ),
        Some(None) => HttpResponse::NoContent().finish(),
    }
}

/// `GET …/batch/earliest/{count}` and `…/batch/latest/{count}`: up to `count` entries, in
/// journal order.
async fn batch_end(
    sandbox: &Sandbox,
    req: &HttpRequest,
    variant: &str,
    count: &str,
    read: Read,
) -> HttpResponse {
    if let Err(response) = check_variant(req, variant) {
        return response;
    }
    let caller = match caller(sandbox, req, READ_SCOPE).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let count = match count_of(count) {
        Ok(count) => count,
        Err(response) => return response,
    };
    let picked: Vec<Entry> = with_entries(sandbox, &caller, |entries| match read {
        Read::Earliest => entries.iter().take(count).cloned().collect(),
        Read::Latest => entries
            .iter()
            .skip(entries.len().saturating_sub(count))
            .cloned()
            .collect(),
    });
    batch(sandbox, req, &caller, &picked)
}

pub(crate) async fn batch_earliest(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (variant, count) = path.into_inner();
    batch_end(&sandbox, &req, &variant, &count, Read::Earliest).await
}

pub(crate) async fn batch_latest(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (variant, count) = path.into_inner();
    batch_end(&sandbox, &req, &variant, &count, Read::Latest).await
}

/// `GET …/batch/{offset}/next/{count}`: up to `count` entries after `offset` (an empty
/// `results` when none follows); 404 for an offset that does not exist or expired.
pub(crate) async fn batch_next(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (variant, offset, count) = path.into_inner();
    if let Err(response) = check_variant(&req, &variant) {
        return response;
    }
    let caller = match caller(&sandbox, &req, READ_SCOPE).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let count = match count_of(&count) {
        Ok(count) => count,
        Err(response) => return response,
    };
    let picked: Option<Vec<Entry>> = with_entries(&sandbox, &caller, |entries| {
        let i = position(entries, &offset)?;
        Some(entries.iter().skip(i + 1).take(count).cloned().collect())
    });
    let Some(picked) = picked else {
        return not_found(&offset);
    };
    batch(&sandbox, &req, &caller, &picked)
}

/// `POST …/batch/read` (`BatchInputString` of offsets): the entries found (200), or those
/// and one `OBJECT_NOT_FOUND` error naming the rest (207).
pub(crate) async fn batch_read(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    variant: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(response) = check_variant(&req, &variant) {
        return response;
    }
    let caller = match caller(&sandbox, &req, READ_SCOPE).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let inputs: Vec<String> = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("inputs").cloned())
        .and_then(|i| serde_json::from_value::<Vec<String>>(i).ok())
    {
        Some(inputs) => inputs,
        None => {
            return validation_error(
                "Invalid input JSON: expected {\"inputs\": [\"<offset>\", …]}.",
            );
        }
    };
    if inputs.len() > MAX_BATCH {
        return validation_error(&format!(
            "Too many inputs: {}. A batch may have at most {MAX_BATCH} inputs.",
            inputs.len()
        ));
    }
    let mut picked = Vec::new();
    let mut missing = Vec::new();
    with_entries(&sandbox, &caller, |entries| {
        for input in &inputs {
            match position(entries, input) {
                Some(i) => picked.extend(entries.get(i).cloned()),
                None => missing.push(input.clone()),
            }
        }
    });
    let response = batch(&sandbox, &req, &caller, &picked);
    if missing.is_empty() {
        return response;
    }
    let (_, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let mut body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
    body["numErrors"] = json!(1);
    body["errors"] = json!([{
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": "Some journal offsets do not exist or have expired.",
        "context": { "offsets": missing },
        "errors": [],
        "links": {},
    }]);
    respond::json(StatusCode::MULTI_STATUS, &body)
}

/// `GET …/status/{statusId}`: snapshot statuses. The sandbox takes no snapshots, so every
/// well-formed id is 404.
pub(crate) async fn status(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (variant, status_id) = path.into_inner();
    if let Err(response) = check_variant(&req, &variant) {
        return response;
    }
    if let Err(response) = caller(&sandbox, &req, SNAPSHOTS_READ_SCOPE).await {
        return response;
    }
    if Uuid::parse_str(&status_id).is_err() {
        return validation_error(&format!(
            "Invalid value for 'statusId': '{}' is not a UUID.",
            status_id.chars().take(64).collect::<String>()
        ));
    }
    respond::api_error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        &format!("No snapshot with status id {status_id}."),
    )
}

/// An S3-style refusal of a file URL (HubSpot's `url` is a pre-signed download link).
fn file_refused(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/xml")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ))
}

/// `GET /_journal/files/{id}`: the entry's file, one legacy webhook event as a JSON line;
/// no authorization. 403 once expired (or never issued), 404 once the entry left the journal.
pub(crate) async fn file(sandbox: web::Data<Sandbox>, file_id: web::Path<String>) -> HttpResponse {
    let now = now_ms();
    let (grant, entry) = {
        let mut state = sandbox.shared.lock();
        state.stats.journal_files += 1;
        let grant = state.journal.files.get(file_id.as_str()).cloned();
        let retention = state.knobs.journal_retention;
        state.journal.prune(retention, now);
        let entry = grant
            .as_ref()
            .and_then(|g| state.journal.find(g.offset).cloned());
        (grant, entry)
    };
    let Some(grant) = grant.filter(|g| g.expires_ms > now) else {
        return file_refused(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    };
    let Some(entry) = entry else {
        return file_refused(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let portal = &sandbox.shared.portal;
    let custom_type_id = &sandbox.shared.properties.custom.object_type_id;
    let event = webhooks::event(
        (entry.object, custom_type_id),
        entry.edit,
        entry.event_id,
        grant.app_id,
        portal.hub_id,
        portal.user_id,
        entry.object_id,
        entry.property,
        entry.occurred_at,
    );
    let mut line = serde_json::to_string(&event).unwrap_or_default();
    line.push('\n');
    HttpResponse::Ok()
        .content_type("application/json")
        .body(line)
}

impl Sandbox {
    /// Entries in the Webhooks Journal now (those past the retention are dropped first).
    pub fn journal_len(&self) -> usize {
        let mut state = self.shared.lock();
        let retention = state.knobs.journal_retention;
        state.journal.prune(retention, now_ms());
        state.journal.len()
    }

    /// Makes every journal entry `by` older, as if it had been written that much earlier:
    /// with `by` past the retention ([`crate::Knobs::journal_retention`], 3 days), they are
    /// gone, and so are their offsets.
    pub fn age_journal(&self, by: Duration) {
        self.shared.lock().journal.age(by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_order_and_expire_from_the_front() {
        let mut journal = Journal::default();
        let change = |id| webhooks::Change {
            object_id: id,
            property: None,
        };
        journal.append(
            ObjectType::Contacts,
            Edit::Archive,
            &[change(1), change(2)],
            1_000,
        );
        journal.append(ObjectType::Deals, Edit::Delete, &[change(3)], 5_000);
        let ids: Vec<u64> = journal.entries.iter().map(|e| e.event_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        let first = journal.entries[0].offset.to_string();
        assert_eq!(position(&journal.entries, &first), Some(0));
        journal.prune(Duration::from_secs(3), 4_500);
        assert_eq!(journal.len(), 1);
        assert_eq!(position(&journal.entries, &first), None);
        journal.age(Duration::from_secs(10));
        journal.prune(Duration::from_secs(3), 5_000);
        assert_eq!(journal.len(), 0);
    }
}
