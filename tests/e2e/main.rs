//! End-to-end tests: one binary, one module per area (see `support` for `spawn_app`).

mod connect;
mod health_and_input;
mod items;
mod logs;
mod redis_outage;
mod refresh;
mod sandbox_mode;
mod upstream_failures;
