//! How records relate: associations v4's
//! `POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read`, one call per related
//! kind for a whole page of records (never one per record), with every label.
//!
//! HubSpot pages each *input* on its own: a record with more related records than one answer
//! holds comes back with a `paging.next.after` for that record alone, which the next call passes
//! beside its id. Following those (all of a round's unfinished records in one call) is what
//! makes the lists complete: a contact with 1,200 deals gets all 1,200. These reads do not wait
//! for the portal's rate budget: the published spec exempts this endpoint from HubSpot's
//! ten-second limit (`x-hubspot-rate-limit-exemptions: ten-secondly`, as for search), so
//! spending that window's slots on them would only slow the listing they complete. A 429 is
//! still a 429 (the connector waits what HubSpot says and retries the page).
//!
//! Read by the spec, not by one answer: `toObjectId` is a string there (HubSpot sends a number;
//! both are read), `label` is optional, `paging` is present only when there is more, and a 207's
//! `errors` (HubSpot's "no associations found" for a record) mean no related records, not a
//! failure. A record that reaches us twice under one id is one related record with both labels.

use std::collections::HashMap;

use integration_core::kit::append_path;
use integration_core::{Association, Credentials, Error, ExposeSecret as _, IntegrationItem};
use serde::Deserialize;
use serde_json::{Value, json};

use super::HubSpotApi;
use crate::http::json_reason;
use crate::objects::ObjectKind;

/// The most inputs one batch read takes (HubSpot's batch limit for associations v4).
const MAX_INPUTS: usize = 1_000;

/// The most continuation rounds for one page and kind: past this HubSpot would be sending more
/// related records than any portal holds (10,000 rounds of at least one record each), so the
/// answers are taken to be looping.
const MAX_ROUNDS: usize = 10_000;

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    results: Vec<ForRecord>,
}

#[derive(Deserialize)]
struct ForRecord {
    from: FromId,
    #[serde(default)]
    to: Vec<Related>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct FromId {
    id: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Related {
    to_object_id: Value,
    #[serde(default)]
    association_types: Vec<AssociationType>,
}

#[derive(Deserialize)]
struct AssociationType {
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    next: Option<Next>,
}

#[derive(Deserialize)]
struct Next {
    after: Value,
}

/// One record's related records so far, by id (insertion order kept in `order`).
#[derive(Default)]
struct Collected {
    order: Vec<String>,
    labels: HashMap<String, Vec<String>>,
}

impl Collected {
    fn add(&mut self, id: String, labels: impl IntoIterator<Item = String>) {
        let known = self.labels.entry(id.clone()).or_insert_with(|| {
            self.order.push(id);
            Vec::new()
        });
        for label in labels {
            if !known.contains(&label) {
                known.push(label);
            }
        }
    }

    fn into_list(mut self) -> Vec<Association> {
        (self.order.into_iter())
            .map(|id| Association {
                labels: self.labels.remove(&id).unwrap_or_default(),
                id,
            })
            .collect()
    }
}

fn id_text(value: Value, what: &str) -> Result<String, Error> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::InvalidResponse(format!("{what} is not an id"))),
    }
}

impl HubSpotApi {
    /// Fills in every item's related records of each kind in `kinds` (an entry for each kind,
    /// empty when there are none). The items are records of `from`.
    pub(super) async fn associate(
        &self,
        credentials: &Credentials,
        from: &ObjectKind,
        items: &mut [IntegrationItem],
        kinds: &[String],
    ) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        for raw in kinds {
            let to = ObjectKind::parse(raw).ok_or_else(|| {
                Error::InvalidInput(format!("associations: HubSpot has no object type '{raw}'"))
            })?;
            let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
            let mut related = self.related(credentials, from, &to, &ids).await?;
            for item in items.iter_mut() {
                let list = related.remove(&item.id).unwrap_or_default().into_list();
                item.associations.insert(raw.clone(), list);
            }
        }
        Ok(())
    }

    /// Every related record of kind `to` of each record in `ids`, following each record's own
    /// paging to the end.
    async fn related(
        &self,
        credentials: &Credentials,
        from: &ObjectKind,
        to: &ObjectKind,
        ids: &[String],
    ) -> Result<HashMap<String, Collected>, Error> {
        let mut found: HashMap<String, Collected> = HashMap::new();
        // The inputs of this round: every record, then those HubSpot paged, with their `after`.
        let mut inputs: Vec<(String, Option<String>)> =
            ids.iter().map(|id| (id.clone(), None)).collect();
        for _ in 0..MAX_ROUNDS {
            if inputs.is_empty() {
                return Ok(found);
            }
            let mut next = Vec::new();
            for chunk in inputs.chunks(MAX_INPUTS) {
                let answer = self.read_batch(credentials, from, to, chunk).await?;
                for record in answer.results {
                    let id = id_text(record.from.id, "an association's from.id")?;
                    let Some((_, asked_after)) = chunk.iter().find(|(asked, _)| *asked == id)
                    else {
                        // Not a record we asked about: not ours to report.
                        continue;
                    };
                    let collected = found.entry(id.clone()).or_default();
                    for target in record.to {
                        let labels = (target.association_types.into_iter())
                            .filter_map(|t| t.label.filter(|l| !l.trim().is_empty()));
                        collected.add(id_text(target.to_object_id, "toObjectId")?, labels);
                    }
                    if let Some(after) = record.paging.and_then(|p| p.next) {
                        let after = id_text(after.after, "paging.next.after")?;
                        if asked_after.as_deref() == Some(after.as_str()) {
                            return Err(Error::InvalidResponse(
                                "association paging repeats its cursor".into(),
                            ));
                        }
                        next.push((id, Some(after)));
                    }
                }
            }
            inputs = next;
        }
        Err(Error::InvalidResponse(
            "association paging does not end".into(),
        ))
    }

    /// One batch read of `inputs` (ids, each with its own `after` when continued).
    async fn read_batch(
        &self,
        credentials: &Credentials,
        from: &ObjectKind,
        to: &ObjectKind,
        inputs: &[(String, Option<String>)],
    ) -> Result<BatchAnswer, Error> {
        let url = append_path(
            &self.config.api_base_url,
            "/crm/v4/associations/{from}/{to}/batch/read",
            &[("from", from.api_name()), ("to", to.api_name())],
        )?;
        let inputs: Vec<Value> = (inputs.iter())
            .map(|(id, after)| match after {
                Some(after) => json!({"id": id, "after": after}),
                None => json!({"id": id}),
            })
            .collect();
        let request = self
            .http
            .post(url)
            .bearer_auth(credentials.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&json!({ "inputs": inputs }));
        let what = format!("the {from} to {to} associations");
        let body = self.body_of(request, &what).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::InvalidResponse(format!(
                "{what} are not the documented JSON ({})",
                json_reason(&e)
            ))
        })
    }
}
