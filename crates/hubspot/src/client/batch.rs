//! Records by id: `POST /crm/v3/objects/{type}/batch/read`, up to 100 ids a call, for the
//! records webhooks named. HubSpot answers 200, or 207 with `errors` for ids it does not have;
//! both carry `results` in the list endpoint's record shape, so the list's parser reads them.

use integration_core::kit::append_path;
use integration_core::{Credentials, Error, ExposeSecret as _, FETCH_BATCH, IntegrationItem};
use serde_json::json;

use super::{HubSpotApi, kind_of};
use crate::objects::parse_page;

impl HubSpotApi {
    /// The live records of `query`'s object type among `ids` (at most 100), with what it
    /// selects; archived or deleted ones are left out.
    pub(super) async fn batch_read(
        &self,
        credentials: &Credentials,
        query: &integration_core::ItemQuery,
        ids: &[String],
    ) -> Result<Vec<IntegrationItem>, Error> {
        let kind = &kind_of(query.object_type.as_deref())?;
        let properties = (query.properties.clone()).unwrap_or_else(|| self.properties(kind));
        let (properties, added) = kind.with_title(&properties);
        let mut items = (self.batch_read_with(credentials, kind, ids, &properties)).await?;
        crate::objects::keep_only_asked(&mut items, &added);
        (self.associate(credentials, kind, &mut items, &query.associations)).await?;
        Ok(items)
    }

    /// [`batch_read`](Self::batch_read) with `properties` (in the POST body, so a list of
    /// hundreds costs no URL length).
    pub(super) async fn batch_read_with(
        &self,
        credentials: &Credentials,
        kind: &crate::ObjectKind,
        ids: &[String],
        properties: &[String],
    ) -> Result<Vec<IntegrationItem>, Error> {
        if ids.len() > FETCH_BATCH {
            return Err(Error::InvalidInput(format!(
                "at most {FETCH_BATCH} records are read at once"
            )));
        }
        let path = format!("{}/batch/read", self.config.contacts_path);
        let mut url = append_path(
            &self.config.api_base_url,
            &path,
            &[("object", kind.api_name())],
        )?;
        url.query_pairs_mut().append_pair("archived", "false");
        let inputs: Vec<_> = ids.iter().map(|id| json!({"id": id})).collect();
        let body = json!({
            "inputs": inputs,
            "properties": properties,
            "propertiesWithHistory": [],
        });
        let request = self
            .http
            .post(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
        let answer = self.body_of(request, &format!("a {kind} batch")).await?;
        let page = parse_page(
            kind,
            &answer,
            &self.config.web_base_url,
            credentials.account_id.as_deref(),
        )?;
        // Only what was asked: a record HubSpot added on its own is not ours to report.
        Ok(page
            .items
            .into_iter()
            .filter(|item| ids.contains(&item.id))
            .collect())
    }

    /// One page of the records of `kind` matching `text` (CRM search's `query`: HubSpot's
    /// default searchable properties), in id order so pages never overlap, continued from
    /// HubSpot's own `after`. Paced as a search by the connector.
    pub(super) async fn search_items(
        &self,
        credentials: &Credentials,
        kind: &crate::ObjectKind,
        limit: u32,
        text: &str,
        after: Option<&str>,
        properties: &[String],
    ) -> Result<integration_core::Page, Error> {
        let mut body = json!({
            "query": text,
            "limit": limit,
            "properties": properties,
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        });
        if let Some(after) = after {
            body["after"] = json!(after);
        }
        let answer = match self.search(credentials, kind, &body).await {
            // A refused `after` is a cursor of ours HubSpot no longer takes (the caller's
            // mistake, or past search's 10,000 results), not HubSpot failing.
            Err(Error::Upstream { status: 400 } | Error::Rejected { .. }) if after.is_some() => {
                return Err(Error::InvalidInput(
                    "HubSpot refused the cursor: pass back a cursor this service returned \
                     (a search pages through at most 10,000 results)"
                        .into(),
                ));
            }
            other => other?,
        };
        parse_page(
            kind,
            &answer,
            &self.config.web_base_url,
            credentials.account_id.as_deref(),
        )
    }
}
