//! The descending lane of a first export: CRM search sorted by `hs_object_id`, highest first.
//!
//! HubSpot paces search on its own allowance (the spec exempts it from the ten-second limit),
//! so an export that lists upward while this lane searches downward reads a portal at both
//! rates at once. Each page is a new query, `hs_object_id < ` the lowest id delivered so far,
//! so search's 10,000-result cap never applies; the answer's `total` counts the records below
//! the bound, which tells the export when the lanes have met.

use integration_core::{Credentials, Error, ItemQuery, LanePage};
use serde_json::json;

use super::HubSpotApi;
use super::changes::{SEARCH_PAGE, SearchTotal};
use crate::objects::{keep_only_asked, parse_page};

impl HubSpotApi {
    pub(super) async fn descending(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
        below: Option<u64>,
    ) -> Result<LanePage, Error> {
        let kind = &super::kind_of(query.object_type.as_deref())?;
        let wanted = (query.properties.clone()).unwrap_or_else(|| self.properties(kind));
        let (wanted, added) = kind.with_title(&wanted);
        let mut body = json!({
            "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
            "properties": wanted,
            "limit": SEARCH_PAGE,
        });
        if let Some(below) = below {
            body["filterGroups"] = json!([{"filters": [
                {"propertyName": "hs_object_id", "operator": "LT", "value": below.to_string()},
            ]}]);
        }
        let raw = self.search(credentials, kind, &body).await?;
        let SearchTotal { total } = serde_json::from_slice(&raw)
            .map_err(|_| Error::InvalidResponse("a search answer has no total".into()))?;
        let web = &self.config.web_base_url;
        let mut page = parse_page(kind, &raw, web, credentials.account_id.as_deref())?;
        keep_only_asked(&mut page.items, &added);
        (self.associate(credentials, kind, &mut page.items, &query.associations)).await?;
        Ok(LanePage {
            items: page.items,
            below: total,
        })
    }
}
