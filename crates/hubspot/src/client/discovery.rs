//! What the portal holds: HubSpot's standard CRM objects (a fixed list, each with the scopes its
//! API asks for) plus the portal's custom objects (`GET /crm-object-schemas/v3/schemas`), and
//! every property of a kind (`GET /crm/v3/properties/{objectType}`, custom properties included).
//! Read by the spec's required fields only: `name`, `label`, `type`, `fieldType`, `groupName`
//! and `options` are promised; `hidden`, `calculated` and `modificationMetadata` may be missing.

use integration_core::kit::append_path;
use integration_core::{Credentials, DiscoveredType, Error, ExposeSecret as _, Field, FieldOption};
use serde::Deserialize;

use super::HubSpotApi;
use crate::objects::{CUSTOM_SCOPES, STANDARD};

/// The scopes that read the portal's custom object schemas (the schemas API's security).
const SCHEMA_SCOPES: &[&str] = &["crm.schemas.custom.read", "crm.objects.custom.read"];

#[derive(Deserialize)]
struct Results<T> {
    results: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schema {
    /// Required: `{meta-type}-{unique ID}`, what `objectTypeId` (optional) repeats.
    id: String,
    name: String,
    labels: Labels,
    object_type_id: Option<String>,
    archived: Option<bool>,
}

#[derive(Deserialize, Default)]
struct Labels {
    plural: Option<String>,
    singular: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Property {
    name: String,
    label: String,
    #[serde(rename = "type")]
    data_type: String,
    field_type: String,
    group_name: Option<String>,
    #[serde(default)]
    options: Vec<PropertyOption>,
    hidden: Option<bool>,
    calculated: Option<bool>,
    modification_metadata: Option<Modification>,
}

#[derive(Deserialize)]
struct PropertyOption {
    label: String,
    value: String,
    hidden: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Modification {
    read_only_value: Option<bool>,
}

impl HubSpotApi {
    /// The standard objects, then the portal's custom ones when the grant may read their
    /// schemas (a grant that may not simply has none to show).
    pub(super) async fn object_types(
        &self,
        credentials: &Credentials,
    ) -> Result<Vec<DiscoveredType>, Error> {
        let owned = |scopes: &[&str]| scopes.iter().map(|s| (*s).to_owned()).collect();
        let mut kinds: Vec<DiscoveredType> = STANDARD
            .iter()
            .map(|kind| DiscoveredType {
                id: kind.id.to_owned(),
                label: kind.label.to_owned(),
                custom: false,
                scopes: owned(kind.scopes),
            })
            .collect();
        let granted = |s: &&str| credentials.scopes.iter().any(|g| g == s);
        if !credentials.scopes.is_empty() && !SCHEMA_SCOPES.iter().any(granted) {
            return Ok(kinds);
        }
        let url = append_path(
            &self.config.api_base_url,
            "/crm-object-schemas/v3/schemas",
            &[],
        )?;
        let body = (self.body_of(self.get(credentials, url), "the custom object schemas")).await?;
        let schemas: Results<Schema> = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("custom object schemas: {e}")))?;
        for schema in schemas
            .results
            .into_iter()
            .filter(|s| s.archived != Some(true))
        {
            let label =
                (schema.labels.plural.or(schema.labels.singular)).unwrap_or(schema.name.clone());
            kinds.push(DiscoveredType {
                // The id HubSpot's object APIs take for it, stable across renames.
                id: schema.object_type_id.unwrap_or(schema.id),
                label,
                custom: true,
                scopes: owned(CUSTOM_SCOPES),
            });
        }
        Ok(kinds)
    }

    /// Every property of `object_type` that is not archived, hidden options left out.
    pub(super) async fn fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Result<Vec<Field>, Error> {
        if object_type.is_empty()
            || !object_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
        {
            return Err(Error::InvalidInput("object_type is malformed".into()));
        }
        let mut url = append_path(
            &self.config.api_base_url,
            "/crm/v3/properties/{object}",
            &[("object", object_type)],
        )?;
        url.query_pairs_mut().append_pair("archived", "false");
        let (status, headers, body) = self.send(self.get(credentials, url)).await?;
        // HubSpot cannot infer an object type it does not have: the caller's mistake.
        if matches!(status, 400 | 404) {
            return Err(Error::InvalidInput(format!(
                "object_type must be one of the portal's object types (object-types lists \
                 them); HubSpot has no '{object_type}'"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(crate::http::api_error(status, &headers, body.as_deref()));
        }
        let body =
            body.ok_or_else(|| Error::InvalidResponse("the property list is too large".into()))?;
        let properties: Results<Property> = serde_json::from_slice(&body)
            .map_err(|e| Error::InvalidResponse(format!("property list: {e}")))?;
        Ok(properties.results.into_iter().map(field).collect())
    }

    fn get(&self, credentials: &Credentials, url: url::Url) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
    }
}

fn field(p: Property) -> Field {
    Field {
        name: p.name,
        label: p.label,
        data_type: p.data_type,
        field_type: p.field_type,
        group: p.group_name.filter(|g| !g.is_empty()),
        options: (p.options.into_iter())
            .filter(|o| o.hidden != Some(true))
            .map(|o| FieldOption {
                value: o.value,
                label: o.label,
            })
            .collect(),
        read_only: p
            .modification_metadata
            .and_then(|m| m.read_only_value)
            .unwrap_or(false),
        hidden: p.hidden.unwrap_or(false),
        calculated: p.calculated.unwrap_or(false),
    }
}
