//! `POST /crm/v3/objects/{objectType}/batch/read`: records by id, as the CRM objects v3 spec
//! (`PublicApiSpecs/CRM/Objects/Rollouts/424/v3/objects.json`) describes it.
//!
//! Body `BatchReadInputSimplePublicObjectId` (`inputs`, `properties`,
//! `propertiesWithHistory`, optional `idProperty`), query `archived`; the answer is
//! `BatchResponseSimplePublicObject` (200), or `BatchResponseSimplePublicObjectWithErrors`
//! (207) naming the ids not found in one `OBJECT_NOT_FOUND` error. Records render as the list
//! endpoint renders them ([`crm::render`]); the request passes the same checks ([`crm::admit`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::crm::{self, Endpoint, validation_error};
use crate::respond;
use crate::seed::ObjectType;
use crate::store::{self, Mutations};

/// Inputs per request at most (HubSpot's batch limit).
pub(crate) const MAX_INPUTS: usize = 100;

/// A parsed request body.
struct BatchRead {
    ids: Vec<String>,
    properties: Vec<String>,
}

fn strings(body: &Value, field: &str) -> Result<Vec<String>, HttpResponse> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_owned()),
                _ => Err(validation_error(&format!(
                    "Invalid input JSON: '{field}' must be an array of strings."
                ))),
            })
            .collect(),
        Some(_) => Err(validation_error(&format!(
            "Invalid input JSON: '{field}' must be an array of strings."
        ))),
    }
}

fn parse(bytes: &[u8]) -> Result<BatchRead, HttpResponse> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        validation_error(&format!(
            "Invalid input JSON on line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    if !body.is_object() {
        return Err(validation_error(
            "Invalid input JSON: expected an object with 'inputs'.",
        ));
    }
    let Some(Value::Array(inputs)) = body.get("inputs") else {
        return Err(validation_error(
            "Invalid input JSON: 'inputs' is required and must be an array.",
        ));
    };
    if inputs.len() > MAX_INPUTS {
        return Err(validation_error(&format!(
            "Too many inputs: {}. A batch may have at most {MAX_INPUTS} inputs.",
            inputs.len()
        )));
    }
    let ids = inputs
        .iter()
        .map(|input| match input.get("id") {
            Some(Value::String(id)) => Ok(id.trim().to_owned()),
            Some(Value::Number(id)) => Ok(id.to_string()),
            _ => Err(validation_error(
                "Invalid input JSON: every input needs an 'id' (a string).",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    match body.get("idProperty") {
        None | Some(Value::Null) => {}
        Some(Value::String(p)) if p.is_empty() || p == "hs_object_id" => {}
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return Err(validation_error(&format!(
                "Invalid idProperty '{shown}': it must be a unique-value property of the object."
            )));
        }
    }
    let mut properties: Vec<String> = Vec::new();
    for name in strings(&body, "properties")? {
        if !name.is_empty() && !properties.contains(&name) {
            properties.push(name);
        }
    }
    // Histories are not kept: the names are checked for shape and otherwise ignored.
    strings(&body, "propertiesWithHistory")?;
    Ok(BatchRead { ids, properties })
}

/// The object type's name in HubSpot's not-found message (`CONTACT`).
fn upper_name(object: ObjectType) -> &'static str {
    match object {
        ObjectType::Contacts => "CONTACT",
        ObjectType::Companies => "COMPANY",
        ObjectType::Deals => "DEAL",
        ObjectType::Tickets => "TICKET",
        ObjectType::Products => "PRODUCT",
        ObjectType::LineItems => "LINE_ITEM",
        ObjectType::Quotes => "QUOTE",
        ObjectType::Calls => "CALL",
        ObjectType::Emails => "EMAIL",
        ObjectType::Meetings => "MEETING_EVENT",
        ObjectType::Notes => "NOTE",
        ObjectType::Tasks => "TASK",
        ObjectType::Pets => "PETS",
    }
}

pub(crate) async fn batch_read(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let started = chrono::Utc::now();
    let admission = crm::admit(&sandbox, &req, object_type.as_str(), Endpoint::BatchRead).await;
    let (admitted, object, mut roll) = match admission {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let archived = url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "archived" && v.eq_ignore_ascii_case("true"));
    let response = match parse(&body) {
        Err(response) => response,
        Ok(request) => answer(
            &sandbox,
            object,
            &request,
            archived,
            &admitted.mutations,
            started,
            &mut roll,
        ),
    };
    crm::shape(admitted.finish(response), &mut roll)
}

fn answer(
    sandbox: &Sandbox,
    object: ObjectType,
    request: &BatchRead,
    archived: bool,
    mutations: &Mutations,
    started: chrono::DateTime<chrono::Utc>,
    roll: &mut crate::contract::Roll,
) -> HttpResponse {
    let catalog = &sandbox.shared.catalog;
    let shaping = sandbox.shaping(roll.contract);
    let defaults = object.default_properties();
    let mut results = Vec::new();
    let mut seen = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for raw in &request.ids {
        let found = raw
            .parse::<u64>()
            .ok()
            .and_then(|id| Some((id, catalog.index_of(object, id)?)))
            .filter(|&(id, _)| {
                store::exists(id, mutations) && store::is_live(id, mutations) != archived
            });
        match found {
            Some((id, index)) => {
                if !seen.contains(&id) {
                    seen.push(id);
                    let record = store::record(catalog, object, index, mutations);
                    results.push(crm::render(
                        &record,
                        object,
                        &request.properties,
                        defaults,
                        &shaping,
                    ));
                }
            }
            None => {
                if !missing.contains(raw) {
                    missing.push(raw.clone());
                }
            }
        }
    }
    let mut body = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": crate::time::format(started),
        "completedAt": crate::time::format(chrono::Utc::now()),
    });
    if missing.is_empty() {
        return respond::json(StatusCode::OK, &body);
    }
    body["numErrors"] = json!(1);
    body["errors"] = json!([{
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": format!(
            "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
            upper_name(object)
        ),
        "context": { "ids": missing },
        "errors": [],
        "links": {},
    }]);
    respond::json(StatusCode::MULTI_STATUS, &body)
}
