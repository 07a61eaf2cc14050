//! Checks real HTTP answers against the OpenAPI document the server serves: the status must be
//! documented for the operation, the content type must be the documented one, and the body must
//! validate against the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).

use std::collections::HashMap;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The served contract, with one compiled validator per schema used.
pub struct Contract {
    doc: Value,
    validators: std::sync::Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

/// One answer, as received.
#[derive(Debug)]
pub struct Answer {
    /// HTTP method of the request.
    pub method: String,
    /// Request path (no query).
    pub path: String,
    /// Status received.
    pub status: u16,
    /// Headers received.
    pub headers: HeaderMap,
    /// Body received.
    pub body: Vec<u8>,
}

impl Contract {
    /// Wraps a parsed `/api/openapi.json`.
    pub fn new(doc: Value) -> Self {
        Self {
            doc,
            validators: Default::default(),
        }
    }

    /// The codes the `ProblemCode` schema allows.
    pub fn problem_codes(&self) -> Vec<String> {
        self.doc["components"]["schemas"]["ProblemCode"]["enum"]
            .as_array()
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The documented path template `path` matches, e.g. `/api/integrations/{provider}/items`.
    pub fn template_of(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        self.doc["paths"].as_object()?.keys().find_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                });
            matches.then(|| template.clone())
        })
    }

    /// The methods documented for `template`, upper-case.
    pub fn methods_of(&self, template: &str) -> Vec<String> {
        self.doc["paths"][template]
            .as_object()
            .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
            .unwrap_or_default()
    }

    /// Why `answer` breaks the contract, if it does.
    pub fn violation(&self, answer: &Answer) -> Option<String> {
        let template = self.template_of(&answer.path)?;
        let operation = &self.doc["paths"][&template][answer.method.to_lowercase()];
        if operation.is_null() {
            // An undocumented method: must be a 405 problem naming the documented ones.
            if answer.status != 405 {
                return Some(format!(
                    "{} {template}: undocumented method answered {} (want 405)",
                    answer.method, answer.status
                ));
            }
            return self.problem_violation(answer);
        }
        let Some(response) = operation["responses"].get(answer.status.to_string()) else {
            return Some(format!(
                "{} {template}: status {} is not documented",
                answer.method, answer.status
            ));
        };
        let Some(content) = response["content"].as_object() else {
            return (!answer.body.is_empty() && answer.status != 302).then(|| {
                format!(
                    "{} {template} {}: a body where none is documented",
                    answer.method, answer.status
                )
            });
        };
        let received_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let Some((_, media)) = content.iter().find(|(t, _)| **t == received_type) else {
            return Some(format!(
                "{} {template} {}: content type '{received_type}' is not one of {:?}",
                answer.method,
                answer.status,
                content.keys().collect::<Vec<_>>()
            ));
        };
        if received_type == "application/x-ndjson" {
            // A stream of JSON documents: each line must be one.
            let text = String::from_utf8_lossy(&answer.body);
            return text
                .lines()
                .find(|line| serde_json::from_str::<Value>(line).is_err())
                .map(|line| {
                    format!(
                        "{} {template}: an NDJSON line is not JSON: {line}",
                        answer.method
                    )
                });
        }
        let body: Value = match serde_json::from_slice(&answer.body) {
            Ok(body) => body,
            Err(e) => {
                return Some(format!(
                    "{} {template} {}: body is not JSON: {e}",
                    answer.method, answer.status
                ));
            }
        };
        self.schema_violation(&media["schema"], &body).map(|why| {
            format!(
                "{} {template} {}: {why}\nbody: {body}",
                answer.method, answer.status
            )
        })
    }

    fn problem_violation(&self, answer: &Answer) -> Option<String> {
        let received_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !received_type.starts_with("application/problem+json") {
            return Some(format!("{}: not problem+json", answer.path));
        }
        let body: Value = serde_json::from_slice(&answer.body).ok()?;
        self.schema_violation(&json!({"$ref": "#/components/schemas/Problem"}), &body)
    }

    /// Why `instance` does not validate against `schema` (with the document's components).
    pub fn schema_violation(&self, schema: &Value, instance: &Value) -> Option<String> {
        let key = schema.to_string();
        let validator = {
            let mut cache = self
                .validators
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(v) = cache.get(&key) {
                std::sync::Arc::clone(v)
            } else {
                let mut root = schema.clone();
                root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
                root["components"] = self.doc["components"].clone();
                let compiled = std::sync::Arc::new(
                    jsonschema::validator_for(&root).expect("the document's schemas compile"),
                );
                cache.insert(key, std::sync::Arc::clone(&compiled));
                compiled
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }
}
