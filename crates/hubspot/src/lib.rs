#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod client;
mod config;
mod factory;
#[cfg(test)]
mod fuzz_tests;
mod http;
mod objects;
mod token;

pub use client::{HubSpot, INFO};
pub use config::{HubSpotConfig, MAX_PAGE_SIZE, OAuthApi};
pub use factory::{FACTORY, HubSpotFactory};
pub use objects::ObjectKind;
