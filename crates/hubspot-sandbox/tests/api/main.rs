//! Black-box tests: every test talks HTTP to a real sandbox server on a random port.

// `allow-unwrap-in-tests` covers `#[test]` functions, not the small helpers next to them.
#![expect(clippy::unwrap_used, reason = "test helpers panic on purpose")]

mod admin;
mod associations;
mod batch_read;
mod contract;
mod crm;
mod faults;
mod helpers;
mod journal;
mod mount;
mod oauth;
mod oauth2026;
mod objects;
mod properties;
mod rate_limit;
mod records;
mod routes;
mod scale;
mod schema;
mod search;
