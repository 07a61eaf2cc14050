//! The cipher's own cases: round trips, fresh nonces, tampering, key rotation and derivation.

use super::*;

fn cipher() -> Cipher {
    Cipher::new((KeyId(1), Key::generate()), Vec::new()).unwrap()
}

#[test]
fn round_trip() {
    let cipher = cipher();
    let envelope = cipher.encrypt(b"hello tokens", b"hubspot:alice").unwrap();
    assert_eq!(&envelope[..2], b"v1");
    assert_eq!(envelope[2], 1);
    assert!(!envelope.windows(5).any(|w| w == b"hello"));
    let plain = cipher.decrypt(&envelope, b"hubspot:alice").unwrap();
    assert_eq!(plain.as_slice(), b"hello tokens");
}

#[test]
fn derived_keys_follow_the_key_not_its_spelling_and_rotate_with_it() {
    let material = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
    let plain = Cipher::from_key_specs(material, &[]).unwrap();
    let with_id = Cipher::from_key_specs(&format!("1:{material}"), &[]).unwrap();
    let hex = Cipher::from_key_specs(&format!("1:{}", "2a".repeat(32)), &[]).unwrap();
    let derived = plain.derive_keys("cursors");
    assert_eq!(derived.len(), 1);
    assert_eq!(derived, with_id.derive_keys("cursors"));
    assert_eq!(derived, hex.derive_keys("cursors"));
    assert_ne!(derived, plain.derive_keys("other"));
    assert_ne!(derived[0].as_slice(), &[0x2a; 32]);
    let rotated = Cipher::from_key_specs(
        "2:ERERERERERERERERERERERERERERERERERERERERERE=",
        &[&format!("1:{material}")],
    )
    .unwrap();
    let both = rotated.derive_keys("cursors");
    assert_eq!(both.len(), 2);
    assert_eq!(both[1], derived[0]);
    assert_ne!(both[0], derived[0]);
}

#[test]
fn every_write_uses_a_fresh_nonce() {
    let cipher = cipher();
    let a = cipher.encrypt(b"same", b"k").unwrap();
    let b = cipher.encrypt(b"same", b"k").unwrap();
    assert_ne!(a, b);
}

#[test]
fn tampering_anywhere_is_detected() {
    let cipher = cipher();
    let envelope = cipher.encrypt(b"hello tokens", b"k").unwrap();
    for i in 0..envelope.len() {
        let mut bad = envelope.clone();
        bad[i] ^= 0x01;
        assert!(
            matches!(cipher.decrypt(&bad, b"k"), Err(StoreError::Corrupt(_))),
            "flipping byte {i} went unnoticed"
        );
    }
    assert!(matches!(
        cipher.decrypt(&envelope[..envelope.len() - 1], b"k"),
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        cipher.decrypt(b"v1", b"k"),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn wrong_associated_data_is_rejected() {
    let cipher = cipher();
    let envelope = cipher.encrypt(b"hello tokens", b"hubspot:alice").unwrap();
    assert!(matches!(
        cipher.decrypt(&envelope, b"hubspot:mallory"),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn rotation_reads_old_values_and_writes_with_the_new_key() {
    let old = Key::generate();
    let new = Key::generate();
    let before = Cipher::new((KeyId(1), old.clone()), Vec::new()).unwrap();
    let written = before.encrypt(b"secret", b"k").unwrap();

    let after = Cipher::new((KeyId(2), new), vec![(KeyId(1), old)]).unwrap();
    assert_eq!(after.decrypt(&written, b"k").unwrap().as_slice(), b"secret");
    let rewritten = after.encrypt(b"secret", b"k").unwrap();
    assert_eq!(rewritten[2], 2);

    // Once the old key is dropped, its values are reported as corrupt, not misread.
    let only_new = Cipher::new((KeyId(2), Key::generate()), Vec::new()).unwrap();
    match only_new.decrypt(&written, b"k") {
        Err(StoreError::Corrupt(message)) => assert!(message.contains("key id 1")),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_different_key_under_the_same_id_is_rejected() {
    let a = cipher();
    let b = cipher();
    let envelope = a.encrypt(b"x", b"k").unwrap();
    assert!(matches!(
        b.decrypt(&envelope, b"k"),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn duplicate_key_ids_are_refused() {
    let result = Cipher::new(
        (KeyId(3), Key::generate()),
        vec![(KeyId(3), Key::generate())],
    );
    assert_eq!(result.err(), Some(KeyError::DuplicateKeyId(KeyId(3))));
}

#[test]
fn key_material_is_accepted_as_base64_or_hex() {
    let bytes: [u8; 32] = core::array::from_fn(|i| (i * 7 + 250) as u8);
    let envelope = Cipher::new((KeyId::DEFAULT, Key::from_bytes(bytes)), Vec::new())
        .unwrap()
        .encrypt(b"x", b"k")
        .unwrap();
    for material in [
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
        hex::encode(bytes),
        hex::encode_upper(bytes),
        format!("  {}\n", STANDARD.encode(bytes)),
    ] {
        let cipher = Cipher::from_key_material(&material).unwrap();
        assert_eq!(cipher.decrypt(&envelope, b"k").unwrap().as_slice(), b"x");
    }
    let generated = Cipher::generate_key_base64();
    assert!(Cipher::from_key_material(&generated).is_ok());
}

#[test]
fn bad_key_material_is_refused_without_echoing_it() {
    let short = STANDARD.encode([7u8; 16]);
    let long_hex = hex::encode([7u8; 33]);
    let cases = [
        (short.as_str(), KeyError::WrongLength(16)),
        (long_hex.as_str(), KeyError::WrongLength(33)),
        ("not a key!!", KeyError::NotEncoded),
        ("", KeyError::WrongLength(0)),
        (
            "zz00000000000000000000000000000000000000000000000000000000000000",
            KeyError::WrongLength(48),
        ),
    ];
    for (material, expected) in cases {
        let error = Cipher::from_key_material(material).err().unwrap();
        assert_eq!(error, expected, "material {material:?}");
        if material.len() > 4 {
            assert!(!error.to_string().contains(material));
        }
    }
}

#[test]
fn debug_shows_no_key_material() {
    let bytes = [0xABu8; 32];
    let cipher = Cipher::new(
        (KeyId(2), Key::from_bytes(bytes)),
        vec![(KeyId(1), Key::from_bytes([0xCD; 32]))],
    )
    .unwrap();
    let shown = format!("{cipher:?} {:?}", Key::from_bytes(bytes));
    assert_eq!(
        shown,
        "Cipher { primary: KeyId(2), keys: [KeyId(2), KeyId(1)] } Key([redacted])"
    );
    assert!(!shown.to_lowercase().contains("abab"));
    assert!(!shown.contains(&STANDARD.encode(bytes)[..8]));
}

#[test]
fn key_specs_carry_ids_and_keep_old_values_readable() {
    let old = Cipher::generate_key_base64();
    let new = Cipher::generate_key_base64();
    let before = Cipher::from_key_specs(&old, &[]).unwrap();
    assert_eq!(before.primary_key_id(), KeyId(1));
    let envelope = before.encrypt(b"secret", b"k").unwrap();

    let after = Cipher::from_key_specs(&format!("2:{new}"), &[&format!("1:{old}")]).unwrap();
    assert_eq!(after.primary_key_id(), KeyId(2));
    assert_eq!(&*after.decrypt(&envelope, b"k").unwrap(), b"secret");
    let fresh = after.encrypt(b"secret", b"k").unwrap();
    assert!(
        before.decrypt(&fresh, b"k").is_err(),
        "new values use the new key"
    );

    for bad in ["0:", "256:", "x:", "-1:"] {
        let spec = format!("{bad}{new}");
        assert_eq!(
            Cipher::from_key_specs(&spec, &[]).unwrap_err(),
            KeyError::BadKeyId
        );
    }
    assert_eq!(
        Cipher::from_key_specs(&format!("1:{new}"), &[&old]).unwrap_err(),
        KeyError::DuplicateKeyId(KeyId(1))
    );
}
