//! The VectorShift integrations HTTP server: wiring only. Provider logic lives in the provider
//! crates, refresh and retry in `integration-core`, storage in `token-store`.

#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod headers;
pub mod metrics;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
