//! Timestamps as HubSpot's v3 APIs spell them: RFC 3339 in UTC with a `Z`, with 0, 3 or 6
//! fraction digits (the specs say only `format: date-time`).

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds, `2024-09-10T08:30:00.000Z`: the common spelling.
pub(crate) fn format(at: DateTime<Utc>) -> String {
    format_digits(at, 3)
}

/// With `digits` fraction digits (0, 3 or 6; anything else is 3). Zero digits drop the
/// fraction, so callers give such records whole-second times (see `Catalog::quantize`).
pub(crate) fn format_digits(at: DateTime<Utc>, digits: u8) -> String {
    let format = match digits {
        0 => SecondsFormat::Secs,
        6 => SecondsFormat::Micros,
        _ => SecondsFormat::Millis,
    };
    at.to_rfc3339_opts(format, true)
}
