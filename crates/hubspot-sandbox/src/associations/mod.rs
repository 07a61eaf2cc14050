//! HubSpot's associations v4 reads: `POST /crm/v4/associations/{from}/{to}/batch/read` and
//! `GET …/labels`, as `PublicApiSpecs/CRM/Associations/Rollouts/130902/v4/associations.json`
//! and the Associations Schema spec describe them.
//!
//! Integrations meet two things here that the objects endpoints never show them: paging *per
//! input* (each `from` id pages its own targets, continued by sending `{id, after}` back), and
//! a 207 for any id without associations, which HubSpot reports exactly as it reports an id
//! that does not exist (`OBJECT_NOT_FOUND` / `crm.associations.NO_ASSOCIATIONS_FOUND`, one
//! error per id). Both are easy to get wrong, so the sandbox reproduces them.
//!
//! Reading associations touches records of both types, so the token needs read access to
//! both (the 403 names the missing one); otherwise requests pass the checks every CRM
//! endpoint shares ([`crm::gate`]).

mod graph;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

pub(crate) use graph::Graph;
use graph::Spec;

use crate::Sandbox;
use crate::contract::Roll;
use crate::crm::{self, Endpoint, Gate, Needs, validation_error};
use crate::cursor::{self, Kind};
use crate::respond;
use crate::seed::ObjectType;
use crate::store::{self, Mutations};

/// Inputs per batch read at most: HubSpot's limit since February 2025 (developer changelog,
/// "Bug Fix: Batch Read Limit for HubSpot Associations API").
pub(crate) const MAX_INPUTS: usize = 1_000;

/// Targets per input and page. HubSpot publishes no number for v4 batch reads; 500 is the
/// largest page its v4 per-record read (`GET /crm/v4/objects/…/associations/…`) allows and the
/// size integrations report for associations pages.
pub(crate) const PAGE_SIZE: usize = 500;

/// The bits of a cursor position holding the target id; the byte above names the `from` type,
/// so a cursor from `deals → contacts` is refused by `companies → contacts`.
const ID_BITS: u32 = 56;

/// A request that passed every check, with the snapshots it reads.
struct Admitted {
    from: ObjectType,
    to: ObjectType,
    gate: Gate,
    from_mutations: Mutations,
    to_mutations: Mutations,
}

/// The read scope a token lacks for `from` or `to` (`from`'s first), else `from`'s: what
/// [`crm::gate`] checks, so a refusal names the scope actually missing.
fn needs(
    sandbox: &Sandbox,
    req: &HttpRequest,
    from: Option<ObjectType>,
    to: Option<ObjectType>,
) -> Option<Needs> {
    let wanted: Vec<Needs> = [from, to].into_iter().flatten().map(Needs::read).collect();
    let scope = crm::bearer_token(req)
        .and_then(|token| sandbox.oauth.access_token(token))
        .map(|info| info.grant.scope);
    if let Some(scope) = scope {
        let granted: Vec<&str> = scope.split(' ').collect();
        if let Some(missing) = wanted
            .iter()
            .find(|n| !n.accepted.iter().any(|a| granted.contains(&a.as_str())))
        {
            return Some(missing.clone());
        }
    }
    wanted.into_iter().next()
}

/// Runs the shared checks for a `from → to` read; an unknown type name is HubSpot's 404 after
/// the limits, as on the objects endpoints.
async fn admit(
    sandbox: &Sandbox,
    req: &HttpRequest,
    types: &(String, String),
    endpoint: Endpoint,
) -> Result<(Admitted, Roll), HttpResponse> {
    let mut roll = sandbox.shared.lock().roll();
    let names = &sandbox.shared.properties;
    let (from, to) = (names.object(&types.0), names.object(&types.1));
    let needs = needs(sandbox, req, from, to);
    let (state, gate) = match crm::gate(sandbox, req, endpoint, needs.as_ref(), &mut roll).await {
        Ok(passed) => passed,
        Err(response) => return Err(crm::shape(response, &mut roll)),
    };
    let (Some(from), Some(to)) = (from, to) else {
        drop(state);
        let unknown = if from.is_none() { &types.0 } else { &types.1 };
        return Err(crm::shape(
            gate.finish(crm::unknown_object(unknown)),
            &mut roll,
        ));
    };
    let admitted = Admitted {
        from,
        to,
        gate,
        from_mutations: state.mutations(from),
        to_mutations: state.mutations(to),
    };
    drop(state);
    Ok((admitted, roll))
}

/// One input of the body: the `from` id as sent, and its `after`.
struct Input {
    id: String,
    after: Option<String>,
}

fn parse(bytes: &[u8]) -> Result<Vec<Input>, HttpResponse> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        validation_error(&format!(
            "Invalid input JSON on line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Some(Value::Array(inputs)) = body.get("inputs") else {
        return Err(validation_error(
            "Invalid input JSON: 'inputs' is required and must be an array.",
        ));
    };
    if inputs.len() > MAX_INPUTS {
        return Err(validation_error(&format!(
            "Too many inputs: {}. A batch read of associations may have at most {MAX_INPUTS} \
             inputs.",
            inputs.len()
        )));
    }
    let mut parsed: Vec<Input> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let id = match input.get("id") {
            Some(Value::String(id)) => id.trim().to_owned(),
            Some(Value::Number(id)) => id.to_string(),
            _ => {
                return Err(validation_error(
                    "Invalid input JSON: every input needs an 'id' (a string).",
                ));
            }
        };
        let after = match input.get("after") {
            None | Some(Value::Null) => None,
            Some(Value::String(after)) => Some(after.clone()),
            Some(_) => {
                return Err(validation_error(
                    "Invalid input JSON: 'after' must be a string (paging.next.after).",
                ));
            }
        };
        if !parsed.iter().any(|p| p.id == id && p.after == after) {
            parsed.push(Input { id, after });
        }
    }
    Ok(parsed)
}

/// `contact`, `company`, `deal`: the singular HubSpot's association messages use.
fn singular(object: ObjectType) -> String {
    match object.name() {
        "companies" => "company".to_owned(),
        name => name.strip_suffix('s').unwrap_or(name).to_owned(),
    }
}

fn from_code(from: ObjectType) -> u64 {
    ObjectType::ALL
        .iter()
        .position(|o| *o == from)
        .map_or(0xFF, |p| p as u64 + 1)
}

/// The portal's pets → contacts association definition id, as its schema advertises it.
fn pets_type(sandbox: &Sandbox) -> u32 {
    sandbox
        .shared
        .properties
        .custom
        .contact_association_id
        .parse()
        .unwrap_or(0)
}

fn spec_json(spec: &Spec) -> Value {
    json!({ "category": spec.category, "typeId": spec.type_id, "label": spec.label })
}

/// The error of an input whose `from` record has no associations to `to` (or does not exist,
/// or is archived): HubSpot does not tell these apart.
fn no_associations(from: ObjectType, to: ObjectType, id: &str) -> Value {
    json!({
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": format!("No {} is associated with {} {id}.", singular(to), singular(from)),
        "context": {
            "fromObjectId": [id],
            "fromObjectType": [singular(from)],
            "toObjectType": [singular(to)],
        },
        "errors": [],
        "links": {},
    })
}

fn bad_after(id: &str, after: &str) -> HttpResponse {
    let shown: String = after.chars().take(64).collect();
    validation_error(&format!(
        "Invalid value for 'after' of input '{id}': '{shown}' is not a valid paging cursor for \
         these object types. Pass paging.next.after back exactly as it was returned."
    ))
}

/// One page of one input: its result, or its error.
enum Answer {
    Page(Value),
    Missing(Value),
}

pub(crate) async fn batch_read(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    types: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let started = chrono::Utc::now();
    let (admitted, mut roll) = match admit(&sandbox, &req, &types, Endpoint::Associations).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let response = match parse(&body) {
        Err(response) => response,
        Ok(inputs) => answer(&sandbox, &admitted, &inputs, started, &mut roll),
    };
    crm::shape(admitted.gate.finish(response), &mut roll)
}

fn answer(
    sandbox: &Sandbox,
    admitted: &Admitted,
    inputs: &[Input],
    started: chrono::DateTime<chrono::Utc>,
    roll: &mut Roll,
) -> HttpResponse {
    let (from, to) = (admitted.from, admitted.to);
    let catalog = &sandbox.shared.catalog;
    // Cursors first: one bad `after` refuses the whole request.
    let mut starts = Vec::with_capacity(inputs.len());
    for input in inputs {
        let start = match &input.after {
            None => 0,
            Some(after) => {
                let position = cursor::open(roll.contract.seed, Kind::Associations, to, after)
                    .filter(|p| p >> ID_BITS == from_code(from));
                let Some(position) = position else {
                    return bad_after(&input.id, after);
                };
                catalog.lower_bound(to, position & ((1 << ID_BITS) - 1))
            }
        };
        starts.push(start);
    }
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for (input, start) in inputs.iter().zip(starts) {
        match page(sandbox, admitted, input, start, roll) {
            Answer::Page(result) => results.push(result),
            Answer::Missing(error) => errors.push(error),
        }
    }
    let mut body = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": crate::time::format(started),
        "completedAt": crate::time::format(chrono::Utc::now()),
    });
    if errors.is_empty() {
        return respond::json(StatusCode::OK, &body);
    }
    body["numErrors"] = json!(errors.len());
    body["errors"] = Value::Array(errors);
    respond::json(StatusCode::MULTI_STATUS, &body)
}

fn page(
    sandbox: &Sandbox,
    admitted: &Admitted,
    input: &Input,
    start: usize,
    roll: &mut Roll,
) -> Answer {
    let (from, to) = (admitted.from, admitted.to);
    let catalog = &sandbox.shared.catalog;
    let index = input
        .id
        .parse::<u64>()
        .ok()
        .filter(|&id| store::is_live(id, &admitted.from_mutations))
        .and_then(|id| catalog.index_of(from, id));
    let Some(index) = index else {
        return Answer::Missing(no_associations(from, to, &input.id));
    };
    let mut live = sandbox
        .shared
        .associations
        .targets(catalog, pets_type(sandbox), from, index, to, start)
        .map(|(target, types)| (catalog.id(to, target), types))
        .filter(|(id, _)| store::is_live(*id, &admitted.to_mutations));
    // The published spec types `toObjectId` as a string; HubSpot sends a number.
    let as_string = roll.vary(roll.contract.string_target_ids, 50);
    let targets: Vec<Value> = live
        .by_ref()
        .take(PAGE_SIZE)
        .map(|(id, types)| {
            let id = if as_string {
                json!(id.to_string())
            } else {
                json!(id)
            };
            json!({
                "toObjectId": id,
                "associationTypes": types.iter().map(spec_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    if targets.is_empty() {
        return Answer::Missing(no_associations(from, to, &input.id));
    }
    let mut result = json!({ "from": { "id": input.id }, "to": targets });
    if let Some((next, _)) = live.next() {
        let position = (from_code(from) << ID_BITS) | next;
        let after = cursor::issue(roll, Kind::Associations, to, position);
        result["paging"] = json!({ "next": { "after": after } });
    }
    Answer::Page(result)
}

/// `GET /crm/v4/associations/{from}/{to}/labels` (and the schema API's
/// `/crm/associations/v4/{from}/{to}/labels`): `CollectionResponseAssociationSpecWithLabelNoPaging`.
pub(crate) async fn labels(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    types: web::Path<(String, String)>,
) -> HttpResponse {
    let (admitted, mut roll) =
        match admit(&sandbox, &req, &types, Endpoint::AssociationLabels).await {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
    let results: Vec<Value> = Graph::definitions(pets_type(&sandbox), admitted.from, admitted.to)
        .iter()
        .map(spec_json)
        .collect();
    let response = respond::json(StatusCode::OK, &json!({ "results": results }));
    crm::shape(admitted.gate.finish(response), &mut roll)
}
