//! What one items request pays the token store: decrypting a credential (and, against a real
//! Redis, the GET that precedes it). The target: decryption in microseconds, one Redis
//! read per request. Numbers are recorded in docs/benchmarks.md.

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use integration_core::{CredentialStore, Credentials, UserId};
use token_store::{Cipher, RedisStoreConfig, RedisTokenStore};

fn credentials() -> Credentials {
    Credentials {
        access_token: "C".repeat(130).into(),
        refresh_token: Some("na1-1f2e-3d4c-5b6a-7980-a1b2c3d4e5f6".to_owned().into()),
        expires_at: Some(Utc::now() + chrono::Duration::minutes(30)),
        scopes: vec!["crm.objects.contacts.read".into(), "oauth".into()],
        account_id: Some("24811358".into()),
        account_name: Some("demo.hubspot.com".into()),
        account_user: None,
        obtained_at: Utc::now(),
        api_base: None,
    }
}

fn cipher(c: &mut Criterion) {
    let cipher = Cipher::from_key_material(&Cipher::generate_key_base64()).expect("key");
    // A credential's plaintext is ~400 bytes of JSON.
    let plaintext = vec![b'x'; 400];
    let aad = b"vs:hubspot:test_user";
    let envelope = cipher.encrypt(&plaintext, aad).expect("encrypt");
    c.bench_function("cipher/encrypt 400 B", |b| {
        b.iter(|| cipher.encrypt(black_box(&plaintext), aad))
    });
    c.bench_function("cipher/decrypt 400 B", |b| {
        b.iter(|| cipher.decrypt(black_box(&envelope), aad))
    });
}

fn redis(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisTokenStore::new(
        RedisStoreConfig::new(url).with_key_prefix(format!("bench-{}:", std::process::id())),
        Cipher::from_key_material(&Cipher::generate_key_base64()).expect("key"),
    )
    .expect("store");
    let user = UserId::parse("bench_user").expect("user");
    if runtime
        .block_on(store.save("hubspot", &user, &credentials()))
        .is_err()
    {
        eprintln!("skipping Redis benchmarks: no Redis answers at REDIS_URL");
        return;
    }
    c.bench_function("redis/load credentials (GET + decrypt + decode)", |b| {
        b.to_async(&runtime)
            .iter(|| async { store.load("hubspot", &user).await.expect("load") })
    });
    c.bench_function("redis/save credentials (encode + encrypt + SET)", |b| {
        let creds = credentials();
        b.to_async(&runtime)
            .iter(|| async { store.save("hubspot", &user, &creds).await.expect("save") })
    });
    runtime
        .block_on(store.delete("hubspot", &user))
        .expect("cleanup");
}

criterion_group!(benches, cipher, redis);
criterion_main!(benches);
