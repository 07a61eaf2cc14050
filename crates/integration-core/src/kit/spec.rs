//! Declarative halves of a provider: its OAuth conventions as a `const` ([`OAuthSpec`]) and the
//! mapping of its JSON records to items by JSON pointers ([`ItemFields`]), so a provider states
//! what differs instead of writing structs, `From` impls and setter sequences.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{
    AccountFields, ApiBase, ApiBasePolicy, ClientAuth, ItemSource, OAuthClient, OAuthConfig,
    OAuthProvider, ProviderSettings, TokenBody,
};
use crate::{Error, Integration, IntegrationItem, ProviderInfo};

/// A provider's OAuth conventions, declared once as a `const`; [`OAuthSpec::provider`] turns
/// them and the provider's settings (which may override URLs and scopes) into an
/// [`Integration`].
#[derive(Debug, Clone, Copy)]
pub struct OAuthSpec {
    /// The provider's metadata (`info.pkce` decides whether the verifier is sent).
    pub info: &'static ProviderInfo,
    /// The default consent page (`{ID}_AUTH_URL` overrides it).
    pub auth_url: &'static str,
    /// The default token endpoint (`{ID}_TOKEN_URL` overrides it).
    pub token_url: &'static str,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// How token requests are encoded.
    pub token_body: TokenBody,
    /// Scopes requested when `{ID}_SCOPES` is unset.
    pub scopes: &'static [&'static str],
    /// Extra consent URL parameters (Notion: `owner=user`).
    pub auth_params: &'static [(&'static str, &'static str)],
    /// Where token responses name the account.
    pub account: AccountFields,
    /// Where token responses name the account's own API root, and the hosts it may be on
    /// (Salesforce's `instance_url`); `None`: the provider has one API host.
    pub api_base: Option<ApiBase>,
    /// The RFC 7009 revocation endpoint (`{ID}_REVOKE_URL` overrides it): a replaced or
    /// disconnected grant is revoked there. `None`: the provider has none.
    pub revoke_url: Option<&'static str>,
}

impl OAuthSpec {
    /// RFC 6749 defaults (credentials and parameters in a form body, no scopes, no extras); use
    /// struct update syntax for what the provider does differently.
    pub const fn new(
        info: &'static ProviderInfo,
        auth_url: &'static str,
        token_url: &'static str,
    ) -> Self {
        Self {
            info,
            auth_url,
            token_url,
            client_auth: ClientAuth::RequestBody,
            token_body: TokenBody::Form,
            scopes: &[],
            auth_params: &[],
            account: AccountFields {
                id: &[],
                name: &[],
                user: &[],
            },
            api_base: None,
            revoke_url: None,
        }
    }

    /// The OAuth configuration for `settings`: their client, URL overrides and scopes, else
    /// this spec's defaults.
    pub fn config(&self, settings: &ProviderSettings) -> Result<OAuthConfig, Error> {
        let mut config = OAuthConfig::from_settings(settings, self.auth_url, self.token_url)?;
        if settings.scopes.is_none() {
            config.scopes = self.scopes.iter().map(|s| (*s).to_owned()).collect();
        }
        config.client_auth = self.client_auth;
        config.token_body = self.token_body;
        if let Some(revoke) = self.revoke_url {
            config.revoke_url = Some(settings.url_or("revoke", revoke)?);
        }
        let params = self.auth_params.iter();
        config.extra_auth_params = params.map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Ok(config)
    }

    /// The whole provider: this spec's OAuth for `settings`, sending through `http`, listing
    /// with `items`.
    pub fn provider<S: ItemSource>(
        &self,
        settings: &ProviderSettings,
        http: reqwest::Client,
        items: S,
    ) -> Result<Arc<dyn Integration>, Error> {
        Ok(Arc::new(OAuthProvider {
            info: self.info,
            oauth: OAuthClient::new(self.config(settings)?, http),
            account: self.account,
            api_base: self.api_base.map(|spec| ApiBasePolicy::new(spec, settings)),
            items,
        }))
    }
}

/// Which fields of an item come from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Properties {
    /// The fields of the object at this JSON pointer (`"/properties"`).
    At(&'static str),
    /// The record's top-level fields that no other [`ItemFields`] pointer maps.
    Rest,
    /// None.
    None,
}

/// How a provider's JSON record becomes an [`IntegrationItem`]: each field is a list of JSON
/// pointers (RFC 6901, as [`Value::pointer`]) tried in order, the first string found wins.
#[derive(Debug, Clone, Copy)]
pub struct ItemFields {
    /// The record's id (a string or a number).
    pub id: &'static str,
    /// Its title; none found (or all empty) gives `untitled`.
    pub title: &'static [&'static str],
    /// The title of a record that has none.
    pub untitled: &'static str,
    /// Its kind.
    pub item_type: &'static [&'static str],
    /// Its link in the provider's UI.
    pub url: &'static [&'static str],
    /// The id of the record it belongs to.
    pub parent_id: &'static [&'static str],
    /// When it was created (RFC 3339, or one of [`time_formats`](Self::time_formats)).
    pub created_at: &'static [&'static str],
    /// When it last changed (RFC 3339, or one of [`time_formats`](Self::time_formats)).
    pub updated_at: &'static [&'static str],
    /// The provider's time formats beyond RFC 3339, as `chrono` formats tried in order: with an
    /// offset (`%z`: Salesforce's `2024-01-15T10:30:00.000+0000` is
    /// `"%Y-%m-%dT%H:%M:%S%.f%z"`), or without one, read as UTC (Pipedrive's
    /// `2024-01-15 10:30:00` is `"%Y-%m-%d %H:%M:%S"`). A time in none of them is left out.
    pub time_formats: &'static [&'static str],
    /// Its properties.
    pub properties: Properties,
}

impl ItemFields {
    /// Only an id at `id`; everything else empty (`Untitled`, no properties).
    pub const fn new(id: &'static str) -> Self {
        Self {
            id,
            title: &[],
            untitled: "Untitled",
            item_type: &[],
            url: &[],
            parent_id: &[],
            created_at: &[],
            updated_at: &[],
            time_formats: &[],
            properties: Properties::None,
        }
    }

    /// `raw` as a time: RFC 3339, else the first of [`time_formats`](Self::time_formats) it fits.
    pub fn parse_time(&self, raw: &str) -> Option<DateTime<Utc>> {
        raw.parse::<DateTime<Utc>>().ok().or_else(|| {
            self.time_formats.iter().find_map(|format| {
                DateTime::parse_from_str(raw, format)
                    .map(|t| t.with_timezone(&Utc))
                    .ok()
                    .or_else(|| {
                        chrono::NaiveDateTime::parse_from_str(raw, format)
                            .ok()
                            .map(|t| t.and_utc())
                    })
            })
        })
    }

    /// The item for `record`; a record without an id is [`Error::InvalidResponse`].
    pub fn item(&self, record: &Value) -> Result<IntegrationItem, Error> {
        let id = match record.pointer(self.id) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Error::InvalidResponse("a record has no id".into())),
        };
        let time = |at| text(record, at).and_then(|t| self.parse_time(&t));
        let properties = match self.properties {
            Properties::None => None,
            Properties::At(at) => record.pointer(at).and_then(Value::as_object).cloned(),
            Properties::Rest => record.as_object().map(|o| self.rest(o)),
        };
        Ok(IntegrationItem {
            id,
            title: text(record, self.title).unwrap_or_else(|| self.untitled.to_owned()),
            properties: properties.unwrap_or_default(),
            item_type: text(record, self.item_type),
            url: text(record, self.url),
            parent_id: text(record, self.parent_id),
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            associations: Default::default(),
        })
    }

    /// The fields of `object` that no pointer of `self` names at the top level.
    fn rest(&self, object: &Map<String, Value>) -> Map<String, Value> {
        let lists = [
            self.title,
            self.item_type,
            self.url,
            self.parent_id,
            self.created_at,
            self.updated_at,
        ];
        let mapped = lists.into_iter().flatten().chain([&self.id]);
        let taken = |key: &str| mapped.clone().any(|p| p.strip_prefix('/') == Some(key));
        let rest = object.iter().filter(|(k, _)| !taken(k));
        rest.map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The first non-empty string in `record` at one of `pointers`.
pub fn text(record: &Value, pointers: &[&str]) -> Option<String> {
    let mut found = pointers.iter().filter_map(|p| record.pointer(p)?.as_str());
    found.find(|s| !s.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_record_maps_by_pointers_first_match_wins() {
        const FIELDS: ItemFields = ItemFields {
            title: &["/name", "/title"],
            item_type: &["/kind"],
            parent_id: &["/parent/page_id", "/parent/type"],
            updated_at: &["/edited"],
            properties: Properties::At("/props"),
            ..ItemFields::new("/id")
        };
        let record = json!({"id": "r1", "name": "", "title": "T", "kind": "page",
            "parent": {"type": "workspace"}, "edited": "2024-01-02T03:04:05.000Z",
            "props": {"a": 1}});
        let item = FIELDS.item(&record).unwrap();
        assert_eq!((item.id.as_str(), item.title.as_str()), ("r1", "T"));
        assert_eq!(item.item_type.as_deref(), Some("page"));
        assert_eq!(item.parent_id.as_deref(), Some("workspace"));
        assert_eq!((item.url, item.created_at), (None, None));
        assert_eq!(
            item.updated_at.unwrap().to_rfc3339(),
            "2024-01-02T03:04:05+00:00"
        );
        assert_eq!(item.properties["a"], 1);
        let bare = FIELDS.item(&json!({"id": 7})).unwrap();
        assert_eq!((bare.id.as_str(), bare.title.as_str()), ("7", "Untitled"));
        assert!(bare.properties.is_empty());
        assert!(matches!(
            FIELDS.item(&json!({})),
            Err(Error::InvalidResponse(_))
        ));
    }

    #[test]
    fn declared_time_formats_read_what_rfc_3339_does_not() {
        const FIELDS: ItemFields = ItemFields {
            created_at: &["/created"],
            updated_at: &["/updated"],
            time_formats: &["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S"],
            ..ItemFields::new("/id")
        };
        let item = FIELDS
            .item(
                &json!({"id": "1", "created": "2024-01-15T10:30:00.000+0200",
                "updated": "2024-01-15 10:30:00"}),
            )
            .unwrap();
        assert_eq!(
            item.created_at.unwrap().to_rfc3339(),
            "2024-01-15T08:30:00+00:00"
        );
        assert_eq!(
            item.updated_at.unwrap().to_rfc3339(),
            "2024-01-15T10:30:00+00:00"
        );
        assert_eq!(
            FIELDS
                .parse_time("2024-01-15T10:30:00Z")
                .unwrap()
                .to_rfc3339(),
            "2024-01-15T10:30:00+00:00"
        );
        assert_eq!(FIELDS.parse_time("15/01/2024"), None);
        assert_eq!(
            ItemFields::new("/id").parse_time("2024-01-15 10:30:00"),
            None
        );
    }

    #[test]
    fn rest_properties_are_the_unmapped_top_level_fields() {
        const FIELDS: ItemFields = ItemFields {
            title: &["/name"],
            properties: Properties::Rest,
            ..ItemFields::new("/id")
        };
        let item = FIELDS
            .item(&json!({"id": "b", "name": "N", "level": "create", "deep": {"id": 1}}))
            .unwrap();
        let keys: Vec<_> = item.properties.keys().map(String::as_str).collect();
        assert_eq!(keys, ["deep", "level"]);
    }

    #[test]
    fn a_spec_fills_the_config_and_settings_override_it() {
        use crate::kit::Configured;
        const INFO: ProviderInfo = ProviderInfo {
            id: "acme",
            name: "Acme",
            description: "d",
            object_types: &[],
            columns: &[],
            permissions: &[],
            logo_svg: "",
            pkce: false,
        };
        const SPEC: OAuthSpec = OAuthSpec {
            client_auth: ClientAuth::Basic,
            token_body: TokenBody::Json,
            scopes: &["read"],
            auth_params: &[("owner", "user")],
            ..OAuthSpec::new(&INFO, "https://acme/auth", "https://acme/token")
        };
        let settings = |pairs: &[(&str, &str)]| {
            let vars: std::collections::HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            match ProviderSettings::from_vars("acme", &vars).unwrap() {
                Configured::Live(s) => s,
                Configured::Unset { partial } => partial,
            }
        };
        let base = [("ACME_CLIENT_ID", "id"), ("ACME_CLIENT_SECRET", "s")];
        let c = SPEC.config(&settings(&base)).unwrap();
        assert_eq!(
            (c.client_auth, c.token_body),
            (ClientAuth::Basic, TokenBody::Json)
        );
        assert_eq!(c.scopes, ["read"]);
        assert_eq!(
            c.extra_auth_params,
            [("owner".to_owned(), "user".to_owned())]
        );
        assert_eq!(c.auth_url.as_str(), "https://acme/auth");
        let mut overridden = base.to_vec();
        overridden.extend([
            ("ACME_SCOPES", "a b"),
            ("ACME_AUTH_URL", "http://127.0.0.1:1/a"),
        ]);
        let c = SPEC.config(&settings(&overridden)).unwrap();
        assert_eq!(
            (c.scopes.len(), c.auth_url.as_str()),
            (2, "http://127.0.0.1:1/a")
        );
        let provider = SPEC.provider(&settings(&base), reqwest::Client::new(), NoItems);
        assert_eq!(provider.unwrap().info().id, "acme");
    }

    #[derive(Debug)]
    struct NoItems;

    #[async_trait::async_trait]
    impl ItemSource for NoItems {
        async fn list_items(
            &self,
            _: &crate::Credentials,
            _: &crate::ItemQuery,
        ) -> Result<crate::Page, Error> {
            Ok(crate::Page {
                items: Vec::new(),
                next_cursor: None,
            })
        }
    }
}
