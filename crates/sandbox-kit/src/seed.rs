//! Deterministic fake data: the same `(seed, index)` always gives the same value, so records can
//! be generated on demand instead of stored, and tests can predict them.

use chrono::{DateTime, TimeZone as _, Utc};
use sha2::{Digest as _, Sha256};

/// 64 pseudo-random bits for `(seed, index)`.
pub fn hash(seed: &str, index: usize) -> u64 {
    let digest = Sha256::digest(format!("{seed}\u{0}{index}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// A UUID (version 4 layout) for `(seed, index)`.
pub fn uuid(seed: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("uuid\u{0}{seed}\u{0}{index}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One of `options` for `(seed, index)`.
///
/// # Panics
///
/// If `options` is empty.
pub fn pick<'a, T>(seed: &str, index: usize, options: &'a [T]) -> &'a T {
    let len = u64::try_from(options.len()).unwrap_or(u64::MAX);
    let at = usize::try_from(hash(seed, index) % len).unwrap_or(0);
    &options[at]
}

/// A time in 2024 for `(seed, index)`, to the second.
pub fn time(seed: &str, index: usize) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let offset = i64::try_from(hash(seed, index) % (366 * 86_400)).unwrap_or(0);
    start + chrono::Duration::seconds(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_deterministic_and_well_formed() {
        assert_eq!(uuid("a", 1), uuid("a", 1));
        assert_ne!(uuid("a", 1), uuid("a", 2));
        assert_eq!(uuid("a", 1).len(), 36);
        assert_eq!(uuid("a", 1).as_bytes()[14], b'4');
        assert_eq!(pick("p", 3, &["x"]), &"x");
        assert_eq!(time("t", 5), time("t", 5));
        assert_eq!(chrono::Datelike::year(&time("t", 5)), 2024);
    }
}
