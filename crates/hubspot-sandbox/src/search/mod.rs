//! `POST /crm/v3/objects/{objectType}/search`: HubSpot's CRM search over the generated records.
//!
//! Follows the `PublicObjectSearchRequest` / `CollectionResponseWithTotalSimplePublicObject`
//! schemas of `PublicApiSpecs/CRM/Objects/Rollouts/424/v3/objects.json` and the limits of
//! HubSpot's "CRM search" guide: at most 200 results a page, at most 10,000 results a query
//! (an `after` at or past 10,000 is a 400), one sort, five filter groups of at most six filters
//! (18 in all), 5 requests a second per portal, archived records never found.
//!
//! A search scans the ids in the requested range in order, evaluating the filters on the cheap
//! generated fields (id, `createdate`, last-modified date) and generating a full record only
//! for filters on other properties. Sorting by a date keeps only the best `after + limit`
//! (≤ 10,200) candidates in a heap, so a request allocates O(page window), not O(portal).
//!
//! The work is split by stage: [`request`] validates and compiles the body, [`filter`]
//! evaluates it against one candidate, [`scan`] walks the ids and keeps the page; this module
//! admits the request and renders the answer.

mod filter;
mod request;
mod scan;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::crm::{Endpoint, admit, render, shape};
use crate::cursor::{self, Kind};
use crate::respond;
use crate::store;

/// Most results one page returns.
pub(crate) const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 10;
/// Most results a query can page through.
pub(crate) const MAX_RESULTS: usize = 10_000;
const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;

/// `POST /crm/v3/objects/{objectType}/search`.
pub(crate) async fn search(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    object_type: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let admission = admit(&sandbox, &req, object_type.as_str(), Endpoint::Search).await;
    let (admitted, object, mut roll) = match admission {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let search = match request::parse(object, &body, roll.contract.seed) {
        Ok(search) => search,
        Err(response) => return shape(admitted.finish(response), &mut roll),
    };
    let catalog = sandbox.shared.catalog.clone();
    let mutations = admitted.mutations.clone();
    let contract = roll.contract;
    // The index as of now: changes younger than their lag are not in it yet.
    let now_ms = chrono::Utc::now().timestamp_millis();
    // A scan of a million records takes milliseconds; keep it off the async workers anyway.
    let (found, search) = match web::block(move || {
        let found = scan::run(&catalog, object, &mutations, &search, &contract, now_ms);
        (found, search)
    })
    .await
    {
        Ok(done) => done,
        Err(_) => {
            let failed = respond::server_error(500, &mut roll);
            return shape(admitted.finish(failed), &mut roll);
        }
    };
    let catalog = &sandbox.shared.catalog;
    let shaping = sandbox.shaping(contract);
    let results: Vec<Value> = found
        .indices
        .iter()
        .map(|&index| {
            let view = scan::view_of(
                catalog,
                object,
                index,
                &admitted.mutations,
                &contract,
                now_ms,
            );
            let record = store::record_in(catalog, object, index, view);
            render(
                &record,
                object,
                &search.properties,
                object.search_default_properties(),
                &shaping,
            )
        })
        .collect();
    let shown = search.after + results.len();
    let mut body = json!({ "total": found.total, "results": results });
    if shown < found.total && !results.is_empty() {
        let after = cursor::issue(&mut roll, Kind::Search, object, shown as u64);
        body["paging"] = json!({ "next": { "after": after } });
    }
    shape(
        admitted.finish(respond::json(StatusCode::OK, &body)),
        &mut roll,
    )
}
