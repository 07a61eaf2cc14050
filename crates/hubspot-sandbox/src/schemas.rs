//! `GET /crm/v3/properties/{objectType}` (`PublicApiSpecs/CRM/Properties/Rollouts/145899/v3/
//! properties.json`, "Read all properties") and `GET /crm-object-schemas/v3/schemas`
//! (`PublicApiSpecs/CRM/Schemas/Rollouts/145900/v3/schemas.json`, "Retrieve all custom object
//! schemas").
//!
//! Both pass the CRM endpoints' checks ([`crm::gate`]: faults, authentication, scopes, the
//! daily cap, the burst limit) and are shaped by the contract like them; the optional fields
//! of a definition are left out per definition and field (`omit_optional`), so a property
//! looks the same in every answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::contract::{Contract, What};
use crate::crm::{self, Endpoint, Needs};
use crate::properties::{PropertyDefinition, Target};
use crate::respond;

fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Whether optional `field` of the definition keyed `key` is sent.
fn keeps(contract: &Contract, what: What, key: u64, field: &str) -> bool {
    !contract.decide(contract.omit_optional, what, key ^ name_hash(field), 30)
}

/// A `Property` of the spec: the required fields always, the optional ones as the contract
/// decides.
pub(crate) fn render_property(property: &PropertyDefinition, contract: &Contract) -> Value {
    let options: Vec<Value> = property
        .options
        .iter()
        .map(|o| {
            json!({
                "label": o.label,
                "value": o.value,
                "displayOrder": o.display_order,
                "hidden": o.hidden,
            })
        })
        .collect();
    let mut body = json!({
        "name": property.name,
        "label": property.label,
        "type": property.data_type,
        "fieldType": property.field_type,
        "description": property.description,
        "groupName": property.group_name,
        "options": options,
    });
    let time = |at| Value::String(crate::time::format(at));
    let mut optional: Vec<(&str, Value)> = vec![
        ("displayOrder", json!(property.display_order)),
        ("calculated", json!(property.calculated)),
        ("externalOptions", json!(property.external_options)),
        ("hasUniqueValue", json!(property.has_unique_value)),
        ("hidden", json!(false)),
        ("hubspotDefined", json!(property.hubspot_defined)),
        ("formField", json!(!property.calculated)),
        ("dataSensitivity", json!("non_sensitive")),
        ("archived", json!(property.archived)),
        ("createdAt", time(property.created_at)),
        ("updatedAt", time(property.updated_at)),
        (
            "modificationMetadata",
            json!({
                "archivable": !property.hubspot_defined,
                "readOnlyDefinition": property.hubspot_defined,
                "readOnlyValue": property.read_only_value,
            }),
        ),
    ];
    if let Some(archived_at) = property.archived_at {
        optional.push(("archivedAt", time(archived_at)));
    }
    if property.data_type == "number" {
        optional.push(("showCurrencySymbol", json!(false)));
    }
    if property.name == "hubspot_owner_id" {
        optional.push(("referencedObjectType", json!("OWNER")));
    }
    let key = name_hash(&property.name);
    for (field, mut value) in optional {
        if !keeps(contract, What::PropertyField, key, field) {
            continue;
        }
        if field == "modificationMetadata"
            && property.data_type == "enumeration"
            && keeps(contract, What::PropertyField, key, "readOnlyOptions")
        {
            value["readOnlyOptions"] = json!(property.hubspot_defined);
        }
        body[field] = value;
    }
    body
}

/// The query of `GET /crm/v3/properties/{objectType}`.
struct PropertiesQuery {
    archived: bool,
    /// `None`: every property; else only these names.
    names: Option<Vec<String>>,
    /// `dataSensitivity` other than `non_sensitive`: the sandbox has no such properties.
    sensitive: bool,
}

fn parse_properties_query(raw: &str) -> Result<PropertiesQuery, HttpResponse> {
    let mut query = PropertiesQuery {
        archived: false,
        names: None,
        sensitive: false,
    };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "archived" => query.archived = value.eq_ignore_ascii_case("true"),
            "properties" => {
                let names = query.names.get_or_insert_with(Vec::new);
                names.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                );
            }
            "dataSensitivity" => match value.as_ref() {
                "non_sensitive" => query.sensitive = false,
                "sensitive" | "highly_sensitive" => query.sensitive = true,
                other => {
                    return Err(crm::validation_error(&format!(
                        "Invalid value for 'dataSensitivity': '{other}'. Expected one of \
                         highly_sensitive, non_sensitive, sensitive."
                    )));
                }
            },
            // `locale` only translates labels; the sandbox has one language.
            _ => {}
        }
    }
    if query.names.as_ref().is_some_and(Vec::is_empty) {
        query.names = None;
    }
    Ok(query)
}

/// HubSpot's answer for a `{objectType}` it cannot resolve.
fn unknown_type(object_type: &str) -> HttpResponse {
    crm::validation_error(&format!("Unable to infer object type from: {object_type}"))
}

/// `GET /crm/v3/properties/{objectType}`.
pub(crate) async fn properties(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
) -> HttpResponse {
    let target = sandbox.shared.properties.resolve(&object_type);
    let needs = target.map(Target::needs);
    let mut roll = sandbox.shared.lock().roll();
    let gate = match crm::gate(
        &sandbox,
        &req,
        Endpoint::Properties,
        needs.as_ref(),
        &mut roll,
    )
    .await
    {
        Ok((state, gate)) => {
            drop(state);
            gate
        }
        Err(response) => return crm::shape(response, &mut roll),
    };
    let response = match (target, parse_properties_query(req.query_string())) {
        (None, _) => unknown_type(&object_type),
        (Some(_), Err(response)) => response,
        (Some(target), Ok(query)) => {
            let results: Vec<Value> = sandbox
                .shared
                .properties
                .all(target)
                .iter()
                .filter(|p| !query.sensitive && p.archived == query.archived)
                .filter(|p| {
                    query
                        .names
                        .as_ref()
                        .is_none_or(|names| names.contains(&p.name))
                })
                .map(|p| render_property(p, &roll.contract))
                .collect();
            respond::json(StatusCode::OK, &json!({ "results": results }))
        }
    };
    crm::shape(gate.finish(response), &mut roll)
}

/// The query of `GET /crm-object-schemas/v3/schemas`.
struct SchemasQuery {
    archived: bool,
    properties: bool,
    associations: bool,
    audit: bool,
}

fn flag(value: &str, default: bool) -> bool {
    if value.eq_ignore_ascii_case("true") {
        true
    } else if value.eq_ignore_ascii_case("false") {
        false
    } else {
        default
    }
}

fn parse_schemas_query(raw: &str) -> SchemasQuery {
    let mut query = SchemasQuery {
        archived: false,
        properties: true,
        associations: true,
        audit: true,
    };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "archived" => query.archived = flag(&value, false),
            "includePropertyDefinitions" => query.properties = flag(&value, true),
            "includeAssociationDefinitions" => query.associations = flag(&value, true),
            "includeAuditMetadata" => query.audit = flag(&value, true),
            _ => {}
        }
    }
    query
}

/// The custom object's `ObjectSchema`.
fn render_schema(sandbox: &Sandbox, query: &SchemasQuery, contract: &Contract) -> Value {
    let catalog = &sandbox.shared.properties;
    let custom = &catalog.custom;
    let time = |at| Value::String(crate::time::format(at));
    let properties: Vec<Value> = if query.properties {
        catalog
            .all(Target::Custom)
            .iter()
            .filter(|p| !p.archived)
            .map(|p| render_property(p, contract))
            .collect()
    } else {
        Vec::new()
    };
    let key = name_hash(&custom.object_type_id);
    let associations: Vec<Value> = if query.associations {
        let mut association = json!({
            "id": custom.contact_association_id,
            "fromObjectTypeId": custom.object_type_id,
            "toObjectTypeId": "0-1",
        });
        for (field, value) in [
            ("name", json!("pets_to_contacts")),
            ("createdAt", time(catalog.schema_created)),
            ("updatedAt", time(catalog.schema_created)),
        ] {
            if keeps(contract, What::SchemaField, key ^ 1, field)
                && (query.audit || !field.ends_with("At"))
            {
                association[field] = value;
            }
        }
        vec![association]
    } else {
        Vec::new()
    };
    let mut body = json!({
        "id": custom.object_type_id,
        "name": custom.name,
        "labels": { "singular": custom.singular, "plural": custom.plural },
        "properties": properties,
        "associations": associations,
        "requiredProperties": [custom.primary_display_property],
    });
    let user_id = sandbox.shared.portal.user_id;
    let mut optional: Vec<(&str, Value)> = vec![
        ("objectTypeId", json!(custom.object_type_id)),
        ("fullyQualifiedName", json!(custom.fully_qualified_name)),
        (
            "primaryDisplayProperty",
            json!(custom.primary_display_property),
        ),
        ("secondaryDisplayProperties", json!(["species"])),
        ("searchableProperties", json!(["name", "breed"])),
        ("description", json!("Pets owned by contacts.")),
        ("archived", json!(false)),
        ("allowsSensitiveProperties", json!(false)),
    ];
    if query.audit {
        optional.extend([
            ("createdAt", time(catalog.schema_created)),
            ("updatedAt", time(catalog.schema_updated)),
            ("createdByUserId", json!(user_id)),
            ("updatedByUserId", json!(user_id)),
        ]);
    }
    if let Some(map) = body.as_object_mut() {
        for (field, value) in optional {
            if keeps(contract, What::SchemaField, key, field) {
                map.insert(field.to_owned(), value);
            }
        }
    }
    body
}

/// The scopes `GET /crm-object-schemas/v3/schemas` accepts (the spec's `security` list); a
/// refusal names `crm.schemas.custom.read`.
fn schema_needs() -> Needs {
    Needs {
        accepted: [
            "crm.schemas.custom.read",
            "crm.objects.custom.read",
            "crm.objects.custom.sensitive.read.v2",
            "crm.objects.custom.highly_sensitive.read.v2",
        ]
        .map(str::to_owned)
        .to_vec(),
        required: "crm.schemas.custom.read".to_owned(),
    }
}

/// `GET /crm-object-schemas/v3/schemas`.
pub(crate) async fn schemas(sandbox: web::Data<Sandbox>, req: HttpRequest) -> HttpResponse {
    let needs = schema_needs();
    let mut roll = sandbox.shared.lock().roll();
    let gate = match crm::gate(&sandbox, &req, Endpoint::Schemas, Some(&needs), &mut roll).await {
        Ok((state, gate)) => {
            drop(state);
            gate
        }
        Err(response) => return crm::shape(response, &mut roll),
    };
    let query = parse_schemas_query(req.query_string());
    let results = if query.archived {
        Vec::new()
    } else {
        vec![render_schema(&sandbox, &query, &roll.contract)]
    };
    let response = respond::json(StatusCode::OK, &json!({ "results": results }));
    crm::shape(gate.finish(response), &mut roll)
}
