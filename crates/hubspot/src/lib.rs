#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod client;
mod config;
mod factory;
#[cfg(test)]
mod fuzz_tests;
mod http;
mod journal;
mod objects;
mod token;
mod webhooks;

pub use client::{HubSpot, HubSpotApi, INFO, INFO_V1, http_client, provider};
pub use config::{HubSpotConfig, MAX_PAGE_SIZE, OAuthApi, WebhooksMode, paths};
pub use factory::{FACTORY, HubSpotFactory};
pub use journal::{HubSpotJournal, JOURNAL_SCOPE};
pub use objects::{CUSTOM_SCOPES, ObjectKind, STANDARD, Standard};
pub use webhooks::{HubSpotWebhooks, MAX_SIGNATURE_AGE};
