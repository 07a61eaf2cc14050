//! Timestamps in the format HubSpot's v3 APIs use (RFC 3339, milliseconds, `Z`).

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
