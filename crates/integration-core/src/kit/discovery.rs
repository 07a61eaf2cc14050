//! Discovery for providers whose accounts define their own kinds of record as items of a
//! declared kind: a Notion database, an Airtable table. Such a provider declares where things
//! are in its JSON once, as a [`DiscoverySpec`], and hands it over through
//! [`ItemSource::discovery`]; the `ItemSource` defaults then answer
//! `discover_object_types`, `discover_fields` and `discovered_kind`, so a provider adds a
//! `const` and four lines instead of the paging, id checks and error mapping again.
//!
//! Why it works this way:
//! - The kinds come from the provider's own listing of the declared kind (`list_items`), so
//!   their paging and titles are the ones already tested, and a kind is exactly an item people
//!   have seen. At most [`DiscoverySpec::max_pages`] pages are read: discovery answers within
//!   one request's deadline, and an account with more kinds shows the first ones (a kind that
//!   is not shown can still be asked for by id).
//! - A kind read through its parent (an Airtable table through its base) is named
//!   `{parent}-{id}`, so ids stay within `[A-Za-z0-9_-]{1,64}` and asking for its fields takes
//!   one call and no lookup.
//! - The declared kinds have no fixed fields (a Notion page's properties are its database's,
//!   an Airtable base has none of its own), so asking for theirs is [`Error::Unsupported`]
//!   rather than a list made up here.
//! - A discovered kind is for its fields; listing its records is refused until the provider
//!   lists them, instead of quietly listing something else. The refusal is
//!   [`Error::InvalidInput`], as an unknown kind's was before discovery accepted any id of the
//!   right shape: for a listing, only the declared kinds are valid.
//! - An id the provider answers one of [`DiscoverySpec::unknown`]'s statuses for (400 and 404
//!   by default; Airtable adds 403, as it does not tell a base the grant cannot see from one
//!   that does not exist) is the caller's mistake ([`Error::InvalidInput`]): the schema request
//!   varies by nothing else. The scope is checked before the call, so a grant that records its
//!   scopes gets [`Error::InsufficientScope`] instead.
//!
//! [`ItemSource::discovery`]: super::ItemSource::discovery

use reqwest::header::ACCEPT;
use serde_json::Value;
use url::Url;

use super::{ItemSource, append_path, http, text};
use crate::{Credentials, DiscoveredType, Error, ExposeSecret as _, Field, FieldOption};
use crate::{IntegrationItem, ItemQuery, ProviderInfo};

/// Where a provider's own kinds and their fields are. Field pointers (RFC 6901, as
/// [`Value::pointer`]) are tried in order within one field's JSON; the first string wins.
#[derive(Debug, Clone, Copy)]
pub struct DiscoverySpec {
    /// The provider's metadata: its declared kinds are listed first, and are not discovered.
    pub info: &'static ProviderInfo,
    /// The declared kind each of whose items is a kind of its own (Notion: `databases`).
    pub kinds: &'static str,
    /// At most this many pages of `kinds` are read (100 items a page asked).
    pub max_pages: usize,
    /// Any one of these granted scopes reads a discovered kind; a grant with none of them sees
    /// only the declared kinds and is refused fields ([`Error::InsufficientScope`]). Empty: none
    /// needed.
    pub scopes: &'static [&'static str],
    /// The schema request's path under the API base: `{id}` is the item's id, `{parent}` its
    /// parent's. With `{parent}`, a kind's id is `{parent}-{id}`.
    pub schema: &'static str,
    /// Where, in the schema answer, the list of siblings is whose element with `/id` equal to
    /// the kind's id holds its fields (Airtable: `/tables`); `None`: the answer is the kind's.
    pub within: Option<&'static str>,
    /// Statuses that mean the account has no such kind.
    pub unknown: &'static [u16],
    /// Where the fields are: an array, or an object whose values are fields (Notion's
    /// `properties`, whose keys name them when a field has no name of its own).
    pub fields: &'static str,
    /// A field's name, what its items' properties are keyed by.
    pub name: &'static [&'static str],
    /// A field's label for people.
    pub label: &'static [&'static str],
    /// A field's type (also its `field_type`).
    pub data_type: &'static [&'static str],
    /// Where a field's options are: arrays, first found; `{type}` is the field's type
    /// (Notion: `/{type}/options` reads `select`, `multi_select` and `status` alike).
    pub options: &'static [&'static str],
    /// An option's stored value.
    pub option_value: &'static [&'static str],
    /// An option's label.
    pub option_label: &'static [&'static str],
    /// The types the provider computes, separated by spaces: such fields are read-only and
    /// calculated.
    pub computed: &'static str,
}

impl DiscoverySpec {
    /// Each item of `kinds` a kind, its fields at `fields` in the answer to `GET {schema}`;
    /// fields named, labelled and typed by `/name`, `/name` and `/type`, options by `/name`,
    /// 400 and 404 for an unknown kind, 10 pages, no scopes, no options, nothing computed.
    pub const fn new(
        info: &'static ProviderInfo,
        kinds: &'static str,
        schema: &'static str,
        fields: &'static str,
    ) -> Self {
        Self {
            info,
            kinds,
            max_pages: 10,
            scopes: &[],
            schema,
            within: None,
            unknown: &[400, 404],
            fields,
            name: &["/name"],
            label: &["/name"],
            data_type: &["/type"],
            options: &[],
            option_value: &["/name"],
            option_label: &["/name"],
            computed: "",
        }
    }

    /// Whether a kind's id names its parent too.
    fn parented(&self) -> bool {
        self.schema.contains("{parent}")
    }

    /// Whether the grant behind `credentials` reads discovered kinds (a grant that records no
    /// scopes is not second-guessed).
    pub fn granted(&self, credentials: &Credentials) -> bool {
        let granted = |s: &&str| credentials.scopes.iter().any(|g| g == s);
        credentials.scopes.is_empty() || self.scopes.is_empty() || self.scopes.iter().any(granted)
    }

    /// The scopes reading `object_type` when it has the shape of a discovered kind's id
    /// ([`Integration::discovered_kind`](crate::Integration::discovered_kind)); `None` for a
    /// declared kind or another shape.
    pub fn accepts(&self, object_type: &str) -> Option<&'static [&'static str]> {
        self.kind(object_type).ok().map(|_| self.scopes)
    }

    /// The parent id (empty without one) and id `object_type` names; a declared kind is
    /// [`Error::Unsupported`], another shape [`Error::InvalidInput`].
    pub fn kind<'a>(&self, object_type: &'a str) -> Result<(&'a str, &'a str), Error> {
        if self.info.object_types.iter().any(|k| k.id == object_type) {
            return Err(Error::Unsupported(format!(
                "{}'s {object_type} have no fixed fields; ask for those of one of its {} \
                 (object-types lists them)",
                self.info.name, self.kinds
            )));
        }
        let (parent, id) = match self.parented() {
            true => object_type.split_once('-').unwrap_or_default(),
            false => ("", object_type),
        };
        let orphan = self.parented() && parent.is_empty();
        if !well_formed(object_type) || id.is_empty() || orphan {
            return Err(self.unknown_kind(object_type));
        }
        Ok((parent, id))
    }

    /// The caller named a kind the account does not have.
    pub fn unknown_kind(&self, object_type: &str) -> Error {
        let shown: String = object_type.chars().take(64).collect();
        Error::InvalidInput(format!(
            "object_type must be one of the account's object types (object-types lists them); \
             {} has no '{shown}'",
            self.info.name
        ))
    }

    /// The kind `item` (an item of [`kinds`](Self::kinds)) is; `None` when its id (or its
    /// parent's) cannot name one.
    pub fn kind_of(&self, item: &IntegrationItem) -> Option<DiscoveredType> {
        let id = match self.parented() {
            true => format!("{}-{}", item.parent_id.as_deref()?, item.id),
            false => item.id.clone(),
        };
        let own = !self.info.object_types.iter().any(|k| k.id == id);
        (own && well_formed(&id)).then(|| DiscoveredType {
            id,
            label: item.title.clone(),
            custom: true,
            scopes: self.scopes.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The declared kinds, labelled by their id (`pages` → "Pages").
    pub fn declared(&self) -> Vec<DiscoveredType> {
        let kinds = self.info.object_types.iter();
        kinds
            .map(|kind| {
                let mut chars = kind.id.chars();
                let first = chars.next().map(|c| c.to_uppercase());
                DiscoveredType {
                    id: kind.id.to_owned(),
                    label: first.into_iter().flatten().chain(chars).collect(),
                    custom: false,
                    scopes: kind.scopes.iter().map(|s| (*s).to_owned()).collect(),
                }
            })
            .collect()
    }

    /// The declared kinds, then (when the grant reads them) one kind per item of
    /// [`kinds`](Self::kinds) that `source` lists, at most [`max_pages`](Self::max_pages) pages.
    pub async fn object_types<S: ItemSource + ?Sized>(
        &self,
        source: &S,
        credentials: &Credentials,
    ) -> Result<Vec<DiscoveredType>, Error> {
        let mut kinds = self.declared();
        if !self.granted(credentials) {
            return Ok(kinds);
        }
        let mut cursor = None;
        for _ in 0..self.max_pages {
            let query = ItemQuery::new().object_type(self.kinds).limit(100);
            let page = source.list_items(credentials, &query.after(cursor)).await?;
            kinds.extend(page.items.iter().filter_map(|item| self.kind_of(item)));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        Ok(kinds)
    }

    /// The fields of the kind `id` in `schema` (the answer to its schema request); a kind
    /// missing from it is [`Error::InvalidInput`], fields not where declared
    /// [`Error::InvalidResponse`].
    pub fn fields_in(
        &self,
        schema: &Value,
        object_type: &str,
        id: &str,
    ) -> Result<Vec<Field>, Error> {
        let own = match self.within {
            None => Some(schema),
            Some(at) => (schema
                .pointer(at)
                .and_then(Value::as_array)
                .into_iter()
                .flatten())
            .find(|sibling| sibling["id"] == id),
        };
        let own = own.ok_or_else(|| self.unknown_kind(object_type))?;
        let missing =
            || Error::InvalidResponse(format!("the schema of {object_type} has no fields"));
        match own.pointer(self.fields).ok_or_else(missing)? {
            Value::Array(fields) => Ok(fields.iter().filter_map(|f| self.field(f, None)).collect()),
            Value::Object(fields) => {
                let named = fields.iter().filter_map(|(k, f)| self.field(f, Some(k)));
                Ok(named.collect())
            }
            _ => Err(missing()),
        }
    }

    /// One field; `None` without a name (nor `key`) or a type.
    fn field(&self, raw: &Value, key: Option<&str>) -> Option<Field> {
        let name = text(raw, self.name).or_else(|| key.map(str::to_owned))?;
        let data_type = text(raw, self.data_type)?;
        let computed = self.computed.split_whitespace().any(|t| t == data_type);
        let at = |pointer: &&str| pointer.replace("{type}", &data_type);
        let mut lists = self.options.iter().map(at);
        let list = lists.find_map(|p| raw.pointer(&p).and_then(Value::as_array).cloned());
        let options = (list.into_iter().flatten())
            .filter_map(|o| {
                let value = text(&o, self.option_value)?;
                let label = text(&o, self.option_label).unwrap_or_else(|| value.clone());
                Some(FieldOption { value, label })
            })
            .collect();
        Some(Field {
            label: text(raw, self.label).unwrap_or_else(|| name.clone()),
            name,
            field_type: data_type.clone(),
            data_type,
            group: None,
            options,
            read_only: computed,
            hidden: false,
            calculated: computed,
        })
    }

    /// Refuses a listing of a discovered kind ([`Error::InvalidInput`]): only the declared
    /// kinds are listed.
    pub fn check_listing(&self, query: &ItemQuery) -> Result<(), Error> {
        match query.object_type.as_deref() {
            Some(kind) if self.accepts(kind).is_some() => {
                let declared = self.info.object_types.iter().map(|k| k.id);
                let shown: String = kind.chars().take(64).collect();
                Err(Error::InvalidInput(format!(
                    "object_type must be one of: {} (not '{shown}'); {} lists the fields of \
                     its other object types but not their records",
                    declared.collect::<Vec<_>>().join(", "),
                    self.info.name,
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Whether `id` can name an object type: `[A-Za-z0-9_-]{1,64}`.
fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

/// A [`DiscoverySpec`] with what its schema requests need: the provider's client, API base and
/// (Notion's `Notion-Version`) one extra header. Requests carry the grant's bearer token.
#[derive(Debug, Clone, Copy)]
pub struct Discovery<'a> {
    /// Where things are.
    pub spec: &'static DiscoverySpec,
    /// The provider's (redirect-free) client.
    pub http: &'a reqwest::Client,
    /// The API base the schema path is under.
    pub api: &'a Url,
    /// One more header every schema request carries.
    pub header: Option<(&'static str, &'a str)>,
}

impl<'a> Discovery<'a> {
    /// `spec`'s schema requests through `http`, under `api`.
    pub fn new(spec: &'static DiscoverySpec, http: &'a reqwest::Client, api: &'a Url) -> Self {
        Self {
            spec,
            http,
            api,
            header: None,
        }
    }

    /// With `name: value` on every schema request.
    pub fn header(self, name: &'static str, value: &'a str) -> Self {
        Self {
            header: Some((name, value)),
            ..self
        }
    }

    /// The fields of `object_type`: checked, then one schema request.
    pub async fn fields(
        &self,
        credentials: &Credentials,
        object_type: &str,
    ) -> Result<Vec<Field>, Error> {
        let spec = self.spec;
        let (parent, id) = spec.kind(object_type)?;
        if !spec.granted(credentials) {
            let scope = spec.scopes.first().copied().unwrap_or_default().to_owned();
            return Err(Error::InsufficientScope { scope });
        }
        let url = append_path(self.api, spec.schema, &[("parent", parent), ("id", id)])?;
        let mut request = (self.http.get(url))
            .bearer_auth(credentials.access_token.expose_secret())
            .header(ACCEPT, "application/json");
        if let Some((name, value)) = self.header {
            request = request.header(name, value);
        }
        let response = http::send(request).await?;
        if spec.unknown.contains(&response.status) {
            return Err(spec.unknown_kind(object_type));
        }
        if !response.is_success() {
            return Err(response.error());
        }
        spec.fields_in(&response.json("the schema")?, object_type, id)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kit::object_type;
    use crate::{Cursor, Page};

    const INFO: ProviderInfo = ProviderInfo {
        id: "acme",
        name: "Acme",
        description: "d",
        object_types: &[
            object_type("sheets", "sheet"),
            object_type("tables", "table"),
        ],
        columns: &[],
        permissions: &[],
        logo_svg: "",
        pkce: false,
    };

    /// Notion-like: each item a kind, its fields an object keyed by name.
    const FLAT: DiscoverySpec = DiscoverySpec {
        options: &["/{type}/options"],
        computed: "formula created_time",
        ..DiscoverySpec::new(&INFO, "tables", "/tables/{id}", "/properties")
    };

    /// Airtable-like: kinds read through their parent, fields an array among siblings.
    const NESTED: DiscoverySpec = DiscoverySpec {
        within: Some("/tables"),
        scopes: &["schema:read", "schema:write"],
        options: &["/options/choices"],
        ..DiscoverySpec::new(&INFO, "tables", "/bases/{parent}/tables", "/fields")
    };

    fn credentials(scopes: &[&str]) -> Credentials {
        Credentials {
            access_token: "t".to_owned().into(),
            refresh_token: None,
            expires_at: None,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            account_id: None,
            account_name: None,
            account_user: None,
            obtained_at: chrono::Utc::now(),
            api_base: None,
        }
    }

    fn item(id: &str, parent: Option<&str>, title: &str) -> IntegrationItem {
        IntegrationItem {
            id: id.to_owned(),
            title: title.to_owned(),
            properties: Default::default(),
            item_type: None,
            url: None,
            parent_id: parent.map(str::to_owned),
            created_at: None,
            updated_at: None,
            associations: Default::default(),
        }
    }

    #[test]
    fn fields_are_read_where_declared_with_their_options_and_whether_computed() {
        let schema = json!({"id": "db1", "properties": {
            "Status": {"id": "a", "name": "Status", "type": "status",
                "status": {"options": [{"id": "o1", "name": "Done", "color": "green"}]}},
            "Tags": {"id": "b", "name": "Tags", "type": "multi_select",
                "multi_select": {"options": [{"name": "x"}, {"color": "red"}]}},
            "Nameless": {"id": "c", "type": "date"},
            "Untyped": {"id": "d", "name": "Untyped"},
            "When": {"id": "e", "name": "When", "type": "created_time", "created_time": {}}}});
        let fields = FLAT.fields_in(&schema, "db1", "db1").unwrap();
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["Nameless", "Status", "Tags", "When"],
            "untyped left out"
        );
        let status = &fields[1];
        assert_eq!(
            (status.data_type.as_str(), status.field_type.as_str()),
            ("status", "status")
        );
        let done = FieldOption {
            value: "Done".into(),
            label: "Done".into(),
        };
        assert_eq!(status.options, [done]);
        assert_eq!(
            fields[2].options.len(),
            1,
            "an option without a name is left out"
        );
        assert!(!status.read_only && !status.calculated && status.group.is_none());
        assert!(fields[3].read_only && fields[3].calculated && fields[3].options.is_empty());
        assert_eq!(
            fields[0].label, "Nameless",
            "the key names a field without a name"
        );

        let broken = FLAT.fields_in(&json!({"properties": 3}), "db1", "db1");
        assert!(
            matches!(broken, Err(Error::InvalidResponse(_))),
            "{broken:?}"
        );
        let missing = FLAT.fields_in(&json!({}), "db1", "db1");
        assert!(
            matches!(missing, Err(Error::InvalidResponse(_))),
            "{missing:?}"
        );
    }

    #[test]
    fn fields_of_a_kind_among_its_siblings_are_its_own() {
        let schema = json!({"tables": [
            {"id": "t1", "fields": [{"id": "f0", "name": "Other", "type": "number"}]},
            {"id": "t2", "fields": [{"id": "f1", "name": "Stage", "type": "singleSelect",
                "options": {"choices": [{"id": "c1", "name": "Lead"}, {"id": "c2", "name": "Won"}]}}]}]});
        let fields = NESTED.fields_in(&schema, "b1-t2", "t2").unwrap();
        assert_eq!(fields.len(), 1);
        let stage: Vec<_> = fields[0].options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(stage, ["Lead", "Won"]);
        let absent = NESTED.fields_in(&schema, "b1-t3", "t3");
        assert!(matches!(absent, Err(Error::InvalidInput(_))), "{absent:?}");
    }

    #[test]
    fn kind_ids_are_checked_and_split() {
        assert_eq!(FLAT.kind("4a-b_C").unwrap(), ("", "4a-b_C"));
        assert_eq!(NESTED.kind("app1-tbl2").unwrap(), ("app1", "tbl2"));
        for bad in ["", "a/b", "a.b", &"x".repeat(65)] {
            assert!(
                matches!(FLAT.kind(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        for bad in ["tbl2", "-tbl2", "app1-", "app1/x-tbl2"] {
            assert!(
                matches!(NESTED.kind(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        assert!(matches!(FLAT.kind("sheets"), Err(Error::Unsupported(_))));
        assert_eq!(FLAT.accepts("sheets"), None);
        assert_eq!(FLAT.accepts("db1"), Some(&[][..]));
        assert_eq!(
            NESTED.accepts("app1-tbl2"),
            Some(&["schema:read", "schema:write"][..])
        );
        assert_eq!(NESTED.accepts("tbl2"), None);
    }

    #[test]
    fn a_listed_item_is_a_kind_when_its_id_can_name_one() {
        let flat = FLAT.kind_of(&item("db1", None, "Roadmap")).unwrap();
        assert_eq!(
            (flat.id.as_str(), flat.label.as_str(), flat.custom),
            ("db1", "Roadmap", true)
        );
        let nested = NESTED.kind_of(&item("t1", Some("b1"), "Tasks")).unwrap();
        assert_eq!((nested.id.as_str(), nested.scopes.len()), ("b1-t1", 2));
        assert_eq!(
            NESTED.kind_of(&item("t1", None, "Tasks")),
            None,
            "no parent"
        );
        assert_eq!(FLAT.kind_of(&item("a b", None, "Spaced")), None);
        assert_eq!(FLAT.kind_of(&item("sheets", None, "Shadow")), None);
    }

    #[test]
    fn listing_a_discovered_kind_is_refused_and_the_declared_ones_are_not() {
        let listing = |kind: Option<&str>| {
            let query = kind.map_or(ItemQuery::new(), |k| ItemQuery::new().object_type(k));
            NESTED.check_listing(&query)
        };
        assert!(listing(None).is_ok() && listing(Some("tables")).is_ok());
        assert!(matches!(
            listing(Some("b1-t1")),
            Err(Error::InvalidInput(_))
        ));
    }

    /// Two pages of tables, then the end.
    #[derive(Debug)]
    struct Tables;

    #[async_trait::async_trait]
    impl ItemSource for Tables {
        async fn list_items(&self, _: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
            assert_eq!(query.object_type.as_deref(), Some("tables"));
            Ok(match query.cursor.as_ref().map(Cursor::as_str) {
                None => Page {
                    items: vec![item("t1", Some("b1"), "Tasks"), item("t2", None, "Lost")],
                    next_cursor: Some(Cursor::parse("2").unwrap()),
                },
                Some(_) => Page {
                    items: vec![item("t3", Some("b2"), "People")],
                    next_cursor: None,
                },
            })
        }
    }

    #[tokio::test]
    async fn kinds_are_the_declared_ones_then_every_listed_one_the_grant_reads() {
        let kinds = NESTED
            .object_types(&Tables, &credentials(&["schema:write"]))
            .await;
        let kinds = kinds.unwrap();
        let ids: Vec<_> = kinds.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["sheets", "tables", "b1-t1", "b2-t3"]);
        assert_eq!(
            (kinds[0].label.as_str(), kinds[0].custom),
            ("Sheets", false)
        );
        let ungranted = NESTED.object_types(&Tables, &credentials(&["other"])).await;
        assert_eq!(ungranted.unwrap().len(), 2, "only the declared kinds");
        let one_page = DiscoverySpec {
            max_pages: 1,
            ..NESTED
        };
        let kinds = one_page
            .object_types(&Tables, &credentials(&[]))
            .await
            .unwrap();
        assert_eq!(
            kinds.len(),
            3,
            "a grant recording no scopes is not second-guessed"
        );
    }

    #[test]
    fn the_grant_must_hold_one_of_the_scopes() {
        assert!(NESTED.granted(&credentials(&["schema:read"])));
        assert!(NESTED.granted(&credentials(&[])));
        assert!(!NESTED.granted(&credentials(&["records:read"])));
        assert!(FLAT.granted(&credentials(&["records:read"])));
    }
}
