//! Incremental sync for HubSpot: upserts from the CRM search API, deletions from the archived
//! list.
//!
//! Search can page through at most 10,000 results of one query, and thousands of records may
//! share one `lastmodifieddate`, so neither `after` paging nor a date cursor is exact. Every page
//! is a new query instead: modified in `[since, until)` and `hs_object_id >` the last id seen,
//! sorted by `hs_object_id` ascending, 200 a page. That never reaches the cap, survives ties, and
//! a record modified during the sync (after `until`) waits for the next window. Archived records
//! cannot be searched; they come from `GET /crm/v3/objects/{object}?archived=true`, kept when
//! `archivedAt` falls in the window.
//!
//! The cursor says which half runs: `u{last id}` (upserts) or `d{after}` (deletions).

use integration_core::kit::append_path;
use integration_core::{Change, Lane};
use integration_core::{ChangesPage, ChangesQuery, Credentials, Cursor, Error, ExposeSecret as _};
use serde_json::json;

use super::HubSpotApi;
use crate::objects::{ObjectKind, parse_archived, parse_page};

/// Results per search page: HubSpot's maximum.
pub(crate) const SEARCH_PAGE: usize = 200;
/// Archived records per list page: HubSpot's maximum.
const ARCHIVED_PAGE: usize = 100;

/// The `total` of a search answer (how many records match, on every page).
#[derive(serde::Deserialize)]
pub(super) struct SearchTotal {
    pub(super) total: u64,
}

/// Where a changes run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Searching modified records with ids above this one.
    Upserts(u64),
    /// Listing archived records from this `after` (`None`: the first page).
    Deletes(Option<String>),
}

impl Phase {
    /// Longest `u{id}`: a `u64` has at most 20 digits.
    const MAX_ID_DIGITS: usize = 20;

    pub(crate) fn parse(cursor: Option<&Cursor>) -> Result<Self, Error> {
        let bad = || Error::InvalidInput("the cursor is not a HubSpot changes cursor".into());
        let Some(raw) = cursor.map(Cursor::as_str) else {
            return Ok(Self::Upserts(0));
        };
        // Split on a char boundary even for input no cursor of ours has (`Cursor` is ASCII
        // today; this stays panic-free if that ever changes).
        let mut chars = raw.chars();
        let tag = chars.next();
        let rest = chars.as_str();
        match tag {
            Some('u')
                if !rest.is_empty()
                    && rest.len() <= Self::MAX_ID_DIGITS
                    && rest.bytes().all(|b| b.is_ascii_digit()) =>
            {
                // HubSpot's record ids are 64-bit signed: a larger position was never issued,
                // and sending it would only spend a call on HubSpot's refusal.
                match rest.parse::<u64>() {
                    Ok(id) if i64::try_from(id).is_ok() => Ok(Self::Upserts(id)),
                    _ => Err(bad()),
                }
            }
            Some('d') if rest.is_empty() => Ok(Self::Deletes(None)),
            // HubSpot's archived-list `after`, wrapped: any string it sent comes back intact.
            Some('d') => Cursor::unwrap_provider_text(rest)
                .map(|after| Self::Deletes(Some(after)))
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// Our cursor for this phase; an `after` HubSpot sent that cannot be carried (empty or
    /// over [`Cursor::MAX_WRAPPED`] bytes) is HubSpot's nonsense.
    pub(crate) fn cursor(&self) -> Result<Cursor, Error> {
        match self {
            Self::Upserts(id) => Ok(Cursor::parse(format!("u{id}"))
                .map_err(|_| Error::InvalidResponse("unreachable: u and digits".into()))?),
            Self::Deletes(None) => {
                Cursor::parse("d").map_err(|_| Error::InvalidResponse("unreachable: d".into()))
            }
            Self::Deletes(Some(after)) => Cursor::wrap_with("d", after),
        }
    }
}

pub(super) fn lane(query: &ChangesQuery) -> Lane {
    match Phase::parse(query.cursor.as_ref()) {
        Ok(Phase::Deletes(_)) => Lane::Standard,
        _ => Lane::Search,
    }
}

impl HubSpotApi {
    pub(super) async fn changes_page(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        let kind = super::kind_of(query.object_type.as_deref())?;
        match Phase::parse(query.cursor.as_ref())? {
            Phase::Upserts(after_id) => self.modified(credentials, query, &kind, after_id).await,
            Phase::Deletes(after) => self.archived(credentials, query, &kind, after).await,
        }
    }

    async fn modified(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
        kind: &ObjectKind,
        after_id: u64,
    ) -> Result<ChangesPage, Error> {
        let modified = kind.modified_property();
        let wanted = (query.properties.clone()).unwrap_or_else(|| self.properties(kind));
        let (wanted, added) = kind.with_title(&wanted);
        let filters = json!([
            {"propertyName": modified, "operator": "GTE", "value": query.since.timestamp_millis().to_string()},
            {"propertyName": modified, "operator": "LT", "value": query.until.timestamp_millis().to_string()},
            {"propertyName": "hs_object_id", "operator": "GT", "value": after_id.to_string()},
        ]);
        let body = json!({
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": wanted,
            "limit": SEARCH_PAGE,
        });
        let body = self.search(credentials, kind, &body).await?;
        let web = &self.config.web_base_url;
        let mut page = parse_page(kind, &body, web, credentials.account_id.as_deref())?;
        crate::objects::keep_only_asked(&mut page.items, &added);
        (self.associate(credentials, kind, &mut page.items, &query.associations)).await?;
        let last = page.items.last().map(|item| item.id.parse::<u64>());
        let next = match (page.next_cursor, last) {
            // More match: continue above the last id, in a new query.
            (Some(_), Some(Ok(last))) if last > after_id => Phase::Upserts(last),
            (Some(_), Some(_)) => {
                return Err(Error::InvalidResponse(
                    "search results are not in ascending hs_object_id order".into(),
                ));
            }
            _ => Phase::Deletes(None),
        };
        Ok(ChangesPage {
            changes: page.items.into_iter().map(Change::Upsert).collect(),
            next_cursor: Some(next.cursor()?),
        })
    }

    async fn archived(
        &self,
        credentials: &Credentials,
        query: &ChangesQuery,
        kind: &ObjectKind,
        after: Option<String>,
    ) -> Result<ChangesPage, Error> {
        let mut url = append_path(
            &self.config.api_base_url,
            &self.config.contacts_path,
            &[("object", kind.api_name())],
        )?;
        url.query_pairs_mut()
            .append_pair("limit", &ARCHIVED_PAGE.to_string())
            .append_pair("archived", "true")
            .extend_pairs(after.iter().map(|a| ("after", a)));
        let request = self
            .http
            .get(url)
            .bearer_auth(credentials.access_token.expose_secret());
        let body = (self.body_after(request, "an archived page", after.as_deref())).await?;
        let (records, next) = parse_archived(&body)?;
        let window = query.since..query.until;
        let changes = records
            .into_iter()
            .filter(|(_, at)| at.is_none_or(|at| window.contains(&at)))
            .map(|(id, archived_at)| Change::Delete { id, archived_at })
            .collect();
        let next_cursor = next
            .map(|after| Phase::Deletes(Some(after)).cursor())
            .transpose()?;
        Ok(ChangesPage {
            changes,
            next_cursor,
        })
    }

    /// The `total` of a one-result search without filters.
    pub(super) async fn total(
        &self,
        credentials: &Credentials,
        object_type: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        let kind = &super::kind_of(object_type)?;
        let body = json!({"limit": 1, "properties": ["hs_object_id"]});
        let body = self.search(credentials, kind, &body).await?;
        let total: SearchTotal = serde_json::from_slice(&body)
            .map_err(|_| Error::InvalidResponse("a search answer has no total".into()))?;
        Ok(Some(total.total))
    }

    pub(super) async fn search(
        &self,
        credentials: &Credentials,
        kind: &ObjectKind,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, Error> {
        let url = append_path(
            &self.config.api_base_url,
            crate::config::paths::SEARCH,
            &[("object", kind.api_name())],
        )?;
        let request = self
            .http
            .post(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .json(body);
        self.body_of(request, "a search page").await
    }

    pub(super) fn properties(&self, kind: &ObjectKind) -> Vec<String> {
        if *kind == ObjectKind::CONTACTS {
            return self.config.default_properties.clone();
        }
        (kind.builtin_properties().iter())
            .map(|p| (*p).to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_name_their_phase_and_refuse_other_shapes() {
        let parse = |raw: &str| Phase::parse(Some(&Cursor::parse(raw).unwrap()));
        assert_eq!(Phase::parse(None).unwrap(), Phase::Upserts(0));
        assert_eq!(parse("u42").unwrap(), Phase::Upserts(42));
        assert_eq!(parse("d").unwrap(), Phase::Deletes(None));
        let long = "é".repeat(1000);
        for phase in [
            Phase::Upserts(7),
            Phase::Upserts(i64::MAX as u64),
            Phase::Deletes(None),
            Phase::Deletes(Some("9".into())),
            // The spec's own example, and what else an opaque token may be.
            Phase::Deletes(Some("NTI1Cg%3D%3D".into())),
            Phase::Deletes(Some("a b+c/d=".into())),
            Phase::Deletes(Some(long)),
        ] {
            assert_eq!(Phase::parse(Some(&phase.cursor().unwrap())).unwrap(), phase);
        }
        for bad in [
            "u",
            "u-1",
            "ux",
            "x1",
            "d1/../",
            "d!!",
            "u99999999999999999999999",
            "u18446744073709551616",
            "u18446744073709551615",
            "u9223372036854775808",
        ] {
            assert!(matches!(parse(bad), Err(Error::InvalidInput(_))), "{bad}");
        }
        let too_long = "x".repeat(Cursor::MAX_WRAPPED + 1);
        assert!(matches!(
            Phase::Deletes(Some(too_long)).cursor(),
            Err(Error::InvalidResponse(_))
        ));
    }
}
