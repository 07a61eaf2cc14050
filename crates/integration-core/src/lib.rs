#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod authorization;
pub mod budget;
mod changes;
mod connector;
mod credentials;
mod discovery;
mod error;
mod events;
mod export;
mod ids;
mod integration;
mod item;
#[cfg(feature = "kit")]
pub mod kit;
pub mod retry;
mod seal;
mod store;

pub use authorization::{
    AuthorizationError, AuthorizationRequest, AuthorizationStart, BrowserBinding, CallbackContext,
    CallbackParams, PendingAuthorization, PkceChallenge, PkceVerifier, StateStore,
};
pub use budget::{
    Admission, Lane, Limit, Priority, RateBudget, RateHint, budget_key, fair_turn,
    report_rate_hint, turn_wait,
};
pub use changes::{
    Change, ChangeEvent, ChangesFrom, ChangesPage, ChangesQuery, ChangesResume, Checkpoint,
    Selection,
};
pub use connector::{
    ConnectionInfo, Connector, ConnectorOptions, DISCOVERY_TTL, EventLine, IntakeError,
    JournalPass, SharedBudget, Wait, WebhookReceipt,
};
pub use credentials::Credentials;
pub use discovery::{DiscoveredType, Field, FieldOption, ObjectTypeAccess};
pub use error::{Error, StoreError};
pub use events::{
    Appended, AssociatedRecord, EventKind, EventLog, EventOffset, InboundEvent, Journal,
    JournalPage, LoggedEvent, PropertyChange, ProviderEvent, Verified, WebhookError,
    WebhookRequest, Webhooks,
};
pub use export::ExportEvent;
pub use ids::{AuthorizationCode, InvalidId, OAuthState, UserId};
pub use integration::{Column, FETCH_BATCH, Integration, ObjectType, ProviderInfo};
pub use item::{Association, Cursor, IntegrationItem, ItemQuery, LanePage, Page};
pub use retry::RetryPolicy;
pub use seal::Seal;
pub use store::{CredentialStore, LockToken, credentials_key};

/// Re-exported so providers and stores name the same secret type.
pub use secrecy::{ExposeSecret, SecretString};
