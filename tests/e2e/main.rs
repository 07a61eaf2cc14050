//! End-to-end tests: one binary, one module per area (see `support` for `spawn_app`).

#![expect(clippy::unwrap_used, reason = "tests panic on failure by design")]

mod auth;
mod changes;
mod cluster;
mod connect;
mod contract;
mod cors;
mod crm;
mod discovery;
mod export;
mod faithful;
mod health_and_input;
mod items;
mod key_rotation;
mod logs;
mod metrics;
mod openapi;
mod providers;
mod rate_budget;
mod redis_outage;
mod refresh;
mod sandbox_guard;
mod sandbox_mode;
mod serving;
mod trust;
mod upstream_failures;
mod webhooks;
