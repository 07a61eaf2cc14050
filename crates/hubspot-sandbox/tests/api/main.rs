//! Black-box tests: every test talks HTTP to a real sandbox server on a random port.

mod admin;
mod crm;
mod faults;
mod helpers;
mod mount;
mod oauth;
mod rate_limit;
