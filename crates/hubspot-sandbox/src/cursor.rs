//! Opaque paging cursors: HMAC-signed, spelled with `+`, `/`, `=` or `%`, up to 2 KiB.
//!
//! The spec types `after` as "a paging cursor token" (a string) and its `NextPage` example is
//! `NTI1Cg%3D%3D`. A client must hand back exactly what it got; so a cursor carries its
//! position, its kind (list, archived list, search) and object type, and a spelling byte,
//! signed with HMAC-SHA256 under a key derived from the contract seed. Decoding re-encodes the
//! decoded token and compares strings: anything but the issued bytes is refused.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::contract::{CursorStyle, Roll};
use crate::seed::ObjectType;

/// Longest cursor the sandbox issues, in characters.
pub(crate) const MAX_LEN: usize = 2048;
const VERSION: u8 = 1;
const MAC_LEN: usize = 16;
/// version, kind, object, style, position (8 bytes), filler length (2 bytes).
const HEADER_LEN: usize = 14;

/// Which endpoint a cursor pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    List = 1,
    Archived = 2,
    Search = 3,
    /// One input's targets in an associations v4 batch read.
    Associations = 4,
}

fn key(seed: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"hubspot-sandbox cursor key v1");
    hasher.update(seed.to_le_bytes());
    hasher.finalize().into()
}

fn mac(seed: u64, payload: &[u8]) -> [u8; MAC_LEN] {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key(seed)).unwrap_or_else(|_| {
        unreachable!("HMAC accepts any key length");
    });
    mac.update(payload);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

fn object_byte(object: ObjectType) -> u8 {
    match object {
        ObjectType::Contacts => 1,
        ObjectType::Companies => 2,
        ObjectType::Deals => 3,
        ObjectType::Tickets => 4,
        ObjectType::Products => 5,
        ObjectType::LineItems => 6,
        ObjectType::Quotes => 7,
        ObjectType::Calls => 8,
        ObjectType::Emails => 9,
        ObjectType::Meetings => 10,
        ObjectType::Notes => 11,
        ObjectType::Tasks => 12,
        ObjectType::Pets => 13,
    }
}

fn spell(raw: &[u8], percent: bool) -> String {
    let text = STANDARD.encode(raw);
    if !percent {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '+' => out.push_str("%2B"),
            '/' => out.push_str("%2F"),
            '=' => out.push_str("%3D"),
            c => out.push(c),
        }
    }
    out
}

fn unspell(text: &str) -> Option<Vec<u8>> {
    let plain = text
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    STANDARD.decode(plain).ok()
}

/// Issues a cursor for `position`, spelled and sized as the contract says.
pub(crate) fn issue(roll: &mut Roll, kind: Kind, object: ObjectType, position: u64) -> String {
    let contract = roll.contract;
    let percent = match contract.cursor_style {
        CursorStyle::Base64 => false,
        CursorStyle::PercentEncoded => true,
        CursorStyle::Seeded => roll.below(2) == 1,
    };
    // The sandbox's scale (40…2048 characters), then this cursor's length within it.
    let target = match contract.cursor_len {
        Some(len) => len.min(MAX_LEN),
        None => {
            let scale =
                [48, 120, 400, 1_000, MAX_LEN][(crate::contract::mix(contract.seed) % 5) as usize];
            let low = scale / 2;
            low + usize::try_from(roll.below((scale - low + 1) as u64)).unwrap_or(0)
        }
    };
    // Base64 of n bytes is 4·⌈n/3⌉ characters; percent-encoding grows it a little more.
    let mut raw_len = (target * 3 / 4).max(HEADER_LEN + MAC_LEN);
    loop {
        // A length not divisible by 3 always ends in `=` padding.
        if raw_len % 3 == 0 {
            raw_len += 1;
        }
        let filler = raw_len - HEADER_LEN - MAC_LEN;
        let mut payload = Vec::with_capacity(raw_len);
        payload.extend_from_slice(&[VERSION, kind as u8, object_byte(object), u8::from(percent)]);
        payload.extend_from_slice(&position.to_be_bytes());
        payload.extend_from_slice(&u16::try_from(filler).unwrap_or(0).to_be_bytes());
        while payload.len() < HEADER_LEN + filler {
            payload.extend_from_slice(&roll.next().to_le_bytes());
        }
        payload.truncate(HEADER_LEN + filler);
        let tag = mac(contract.seed, &payload);
        payload.extend_from_slice(&tag);
        let text = spell(&payload, percent);
        if text.len() <= MAX_LEN || raw_len <= HEADER_LEN + MAC_LEN + 1 {
            return text;
        }
        raw_len -= (text.len() - MAX_LEN) / 2 + 3;
    }
}

/// The position of a cursor this sandbox issued for `kind` and `object`, or `None` for
/// anything else (forged, altered, re-encoded, truncated, another endpoint's).
pub(crate) fn open(seed: u64, kind: Kind, object: ObjectType, text: &str) -> Option<u64> {
    if text.len() > MAX_LEN {
        return None;
    }
    let raw = unspell(text)?;
    if raw.len() < HEADER_LEN + MAC_LEN {
        return None;
    }
    let (payload, tag) = raw.split_at(raw.len() - MAC_LEN);
    let expected = mac(seed, payload);
    // Not constant-time: nothing secret depends on it in a fake.
    if tag != expected {
        return None;
    }
    let filler = usize::from(u16::from_be_bytes([payload[12], payload[13]]));
    if payload[0] != VERSION
        || payload[1] != kind as u8
        || payload[2] != object_byte(object)
        || payload.len() != HEADER_LEN + filler
        || spell(&raw, payload[3] == 1) != text
    {
        return None;
    }
    let mut position = [0u8; 8];
    position.copy_from_slice(&payload[4..12]);
    Some(u64::from_be_bytes(position))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    #[test]
    fn cursors_round_trip_only_byte_for_byte() {
        for seed in 0..20 {
            let mut roll = Roll::new(Contract::seeded(seed), 1);
            for position in [0, 101, 9_800_000_123, u64::MAX] {
                let c = issue(&mut roll, Kind::List, ObjectType::Contacts, position);
                assert!(c.len() <= MAX_LEN, "{}", c.len());
                assert!(c.contains('=') || c.contains("%3D"), "{c}");
                assert_eq!(
                    open(seed, Kind::List, ObjectType::Contacts, &c),
                    Some(position)
                );
                assert_eq!(open(seed + 1, Kind::List, ObjectType::Contacts, &c), None);
                assert_eq!(open(seed, Kind::Search, ObjectType::Contacts, &c), None);
                assert_eq!(open(seed, Kind::List, ObjectType::Deals, &c), None);
                let decoded = c
                    .replace("%3D", "=")
                    .replace("%2B", "+")
                    .replace("%2F", "/");
                if decoded != c {
                    assert_eq!(open(seed, Kind::List, ObjectType::Contacts, &decoded), None);
                } else {
                    let encoded = c.replace('=', "%3D");
                    assert_eq!(open(seed, Kind::List, ObjectType::Contacts, &encoded), None);
                }
                assert_eq!(open(seed, Kind::List, ObjectType::Contacts, &c[1..]), None);
                assert_eq!(open(seed, Kind::List, ObjectType::Contacts, "101"), None);
            }
        }
        let mut roll = Roll::new(Contract::seeded(3), 9);
        let lens: Vec<usize> = (0..50)
            .map(|_| issue(&mut roll, Kind::Search, ObjectType::Deals, 7).len())
            .collect();
        assert!(lens.iter().min() != lens.iter().max(), "{lens:?}");
    }
}
