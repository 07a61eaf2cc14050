//! HubSpot's Webhooks Journal (2026-03): the same events webhooks carry, kept by HubSpot for three
//! days and pulled by the app, for deployments that cannot (or would rather not) receive
//! webhooks, and so a deployment that was down for a day still sees every change.
//!
//! What HubSpot documents: the journal is read with a client-credentials token of the app (scope
//! `developer.webhooks_journal.read`), never a user's; `GET /webhooks-journal/journal/2026-03/
//! batch/earliest/{count}` and `…/batch/{offset}/next/{count}` answer `{status, results:
//! [{currentOffset, url, expiresAt}]}`, each `url` a pre-signed link to a JSON file of events
//! (fetched without our token: it is not HubSpot's API host); an offset HubSpot no longer keeps is
//! a 404; journal calls are exempt from the rate limits. The events are the legacy webhook
//! payload, so [`HubSpotWebhooks::parse`](integration_core::Webhooks::parse) reads them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::{StreamExt as _, TryStreamExt as _};
use integration_core::kit::{self, append_path};
use integration_core::{
    Error, ExposeSecret as _, Journal, JournalPage, SecretString, Webhooks as _,
};
use serde::Deserialize;
use url::Url;

use crate::webhooks::HubSpotWebhooks;

/// The scope of a token that reads the journal.
pub const JOURNAL_SCOPE: &str = "developer.webhooks_journal.read";
/// Entries asked for per read (HubSpot's `count`).
const BATCH: usize = 100;
/// Event files fetched at once.
const FILES_AT_ONCE: usize = 8;

/// The journal reader of one HubSpot app.
pub struct HubSpotJournal {
    client_id: String,
    client_secret: SecretString,
    token_url: Url,
    api_base: Url,
    http: reqwest::Client,
    timeout: Duration,
    payload: HubSpotWebhooks,
    /// The app token and when to stop using it.
    token: Mutex<Option<(SecretString, Instant)>>,
}

impl std::fmt::Debug for HubSpotJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSpotJournal")
            .field("client_id", &self.client_id)
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct AppToken {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Batch {
    results: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    current_offset: String,
    url: String,
}

impl HubSpotJournal {
    /// A reader for the app `client_id`, its tokens from `token_url`, the journal under
    /// `api_base`.
    pub fn new(
        client_id: String,
        client_secret: SecretString,
        token_url: Url,
        api_base: Url,
        http: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        Self {
            payload: HubSpotWebhooks::new(client_secret.clone()),
            client_id,
            client_secret,
            token_url,
            api_base,
            http,
            timeout,
            token: Mutex::new(None),
        }
    }

    /// The app's token, minted when there is none or it is about to expire (or `renew`).
    async fn app_token(&self, renew: bool) -> Result<SecretString, Error> {
        if !renew
            && let Some((token, until)) =
                self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
            && until > Instant::now()
        {
            return Ok(token);
        }
        let request = self
            .http
            .post(self.token_url.clone())
            .timeout(self.timeout)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose_secret()),
                ("scope", JOURNAL_SCOPE),
            ]);
        let answer = kit::http::send(request).await?;
        if !(200..300).contains(&answer.status) {
            return Err(match answer.status {
                400 | 401 | 403 => Error::Config(format!(
                    "HubSpot refused this app a journal token (HTTP {}): check the app's \
                     client credentials and its {JOURNAL_SCOPE} scope",
                    answer.status
                )),
                status => Error::from_status(status, None),
            });
        }
        let token: AppToken = serde_json::from_slice(answer.body.as_deref().unwrap_or_default())
            .map_err(|_| {
                Error::InvalidResponse("the app token answer has no access_token".into())
            })?;
        // Used until a minute before it expires (HubSpot: 30 minutes).
        let life = Duration::from_secs(token.expires_in.unwrap_or(1800).saturating_sub(60).max(1));
        let secret = SecretString::from(token.access_token);
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((secret.clone(), Instant::now() + life));
        Ok(secret)
    }

    /// `GET path` on the journal API with the app token (renewed once on a 401): the status and
    /// body.
    async fn get(&self, path: &str, segments: &[(&str, &str)]) -> Result<(u16, Vec<u8>), Error> {
        let url = append_path(&self.api_base, path, segments)?;
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            let request = self
                .http
                .get(url.clone())
                .timeout(self.timeout)
                .bearer_auth(token.expose_secret())
                .header(reqwest::header::ACCEPT, "application/json");
            let answer = kit::http::send(request).await?;
            if answer.status == 401 && !renew {
                renew = true;
                continue;
            }
            return Ok((answer.status, answer.body.unwrap_or_default()));
        }
    }

    /// One event file: a JSON array of events, or one event object per line.
    async fn events_of(&self, url: &str) -> Result<Vec<serde_json::Value>, Error> {
        let url = Url::parse(url)
            .map_err(|_| Error::InvalidResponse("a journal entry's url is not a URL".into()))?;
        // A pre-signed link elsewhere (object storage): never send our token there.
        let answer = kit::http::send(self.http.get(url).timeout(self.timeout)).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Error::from_status(answer.status, None));
        }
        let body = answer
            .body
            .ok_or_else(|| Error::InvalidResponse("a journal file is too large".into()))?;
        let unreadable = || Error::InvalidResponse("a journal file is not JSON events".into());
        let text = std::str::from_utf8(&body).map_err(|_| unreadable())?.trim();
        if text.starts_with('[') {
            return serde_json::from_str(text).map_err(|_| unreadable());
        }
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|_| unreadable()))
            .collect()
    }
}

#[async_trait]
impl Journal for HubSpotJournal {
    async fn read_after(&self, position: Option<&str>) -> Result<JournalPage, Error> {
        let count = BATCH.to_string();
        let (status, body) = match position {
            Some(offset) => {
                let path = "/webhooks-journal/journal/2026-03/batch/{offset}/next/{count}";
                self.get(path, &[("offset", offset), ("count", &count)])
                    .await?
            }
            None => (0, Vec::new()),
        };
        let (status, body) = match (position, status) {
            (Some(_), 200..=299) => (status, body),
            (Some(offset), 404) => {
                tracing::warn!(
                    offset,
                    "HubSpot no longer keeps the journal position; reading on from the earliest"
                );
                self.earliest(&count).await?
            }
            (Some(_), status) => return Err(Error::from_status(status, None)),
            (None, _) => self.earliest(&count).await?,
        };
        if status == 204 || body.is_empty() {
            return Ok(JournalPage::default());
        }
        let batch: Batch = serde_json::from_slice(&body).map_err(|_| {
            Error::InvalidResponse("a journal batch is not the documented JSON".into())
        })?;
        let Some(last) = batch.results.last().map(|e| e.current_offset.clone()) else {
            return Ok(JournalPage::default());
        };
        let more = batch.results.len() >= BATCH;
        let urls: Vec<String> = batch.results.into_iter().map(|e| e.url).collect();
        let files: Vec<Vec<serde_json::Value>> = futures_util::stream::iter(urls)
            .map(move |url| async move { self.events_of(&url).await })
            .buffered(FILES_AT_ONCE)
            .try_collect()
            .await?;
        let events: Vec<serde_json::Value> = files.into_iter().flatten().collect();
        let array = serde_json::to_vec(&events).unwrap_or_default();
        let events = self
            .payload
            .parse(&array)
            .map_err(|e| Error::InvalidResponse(format!("journal events: {e}")))?;
        Ok(JournalPage {
            events,
            next: Some(last),
            more,
        })
    }
}

impl HubSpotJournal {
    async fn earliest(&self, count: &str) -> Result<(u16, Vec<u8>), Error> {
        let path = "/webhooks-journal/journal/2026-03/batch/earliest/{count}";
        let (status, body) = self.get(path, &[("count", count)]).await?;
        match status {
            200..=299 => Ok((status, body)),
            status => Err(Error::from_status(status, None)),
        }
    }
}
