//! End-to-end tests: one binary, one module per area (see `support` for `spawn_app`).

// Test helpers panic on failure by design; that is how a test reports it.
#![allow(clippy::unwrap_used)]

mod connect;
mod cors;
mod health_and_input;
mod items;
mod key_rotation;
mod logs;
mod openapi;
mod redis_outage;
mod refresh;
mod sandbox_mode;
mod upstream_failures;
