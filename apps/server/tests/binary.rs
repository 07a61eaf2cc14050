//! The `vs-server` binary as an operator meets it: refusing to start with one sentence naming
//! the variable, and in development generating its encryption key on first run.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vs-server-bin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with a clean environment, run in `dir` (so no developer `.env` is read).
fn server(dir: &PathBuf) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vs-server"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("WEB_DIST_DIR", "/nonexistent")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn production_without_hubspot_credentials_refuses_to_start_naming_the_variable() {
    let dir = scratch_dir();
    let output = server(&dir)
        .env("APP_ENV", "production")
        .env("AUTH_MODE", "jwt")
        .env("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env(
            "TOKEN_ENCRYPTION_KEY",
            "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .trim()
            .starts_with("error: HUBSPOT_CLIENT_ID is not set"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
}

#[test]
fn production_without_an_encryption_key_refuses_to_start_and_writes_nothing() {
    let dir = scratch_dir();
    let output = server(&dir)
        .env("APP_ENV", "production")
        .env("AUTH_MODE", "jwt")
        .env("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env("HUBSPOT_CLIENT_ID", "id")
        .env("HUBSPOT_CLIENT_SECRET", "secret-value-never-printed")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("TOKEN_ENCRYPTION_KEY is not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-value-never-printed"));
    assert!(
        !dir.join(".env").exists(),
        "production never generates a key"
    );
}

#[test]
fn a_malformed_encryption_key_refuses_to_start_without_echoing_it() {
    let dir = scratch_dir();
    let output = server(&dir)
        .env("TOKEN_ENCRYPTION_KEY", "not-a-key-SECRETISH")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("TOKEN_ENCRYPTION_KEY is invalid"), "{all}");
    assert!(!all.contains("SECRETISH"), "{all}");
}

#[test]
fn first_development_run_generates_a_key_into_dot_env_and_starts_in_sandbox_mode() {
    let dir = scratch_dir();
    let mut child = server(&dir).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("listening") || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("generated a development key"), "{seen}");
    assert!(seen.contains("SANDBOX MODE"), "{seen}");
    assert!(seen.contains("listening"), "{seen}");
    let env = std::fs::read_to_string(dir.join(".env")).unwrap();
    let key = env
        .lines()
        .find_map(|l| l.strip_prefix("TOKEN_ENCRYPTION_KEY="))
        .unwrap();
    assert!(!seen.contains(key), "the key itself is not logged");
}

#[test]
fn production_on_a_redis_that_does_not_persist_warns_loudly_at_start() {
    let Some(redis_server) = test_support::redis_server(
        "production_on_a_redis_that_does_not_persist_warns_loudly_at_start",
    ) else {
        return;
    };
    let dir = scratch_dir();
    // A Redis of our own that keeps nothing on disk, whatever the shared one does.
    let port = test_support::free_port();
    let mut redis_server = Command::new(redis_server)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let redis = format!("redis://127.0.0.1:{port}");
    let up = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < up {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut child = server(&dir)
        .env("APP_ENV", "production")
        .env("AUTH_MODE", "jwt")
        .env("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env("HUBSPOT_CLIENT_ID", "id")
        .env("HUBSPOT_CLIENT_SECRET", "secret")
        .env("REDIS_URL", redis)
        .env(
            "TOKEN_ENCRYPTION_KEY",
            "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        )
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("listening") || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    redis_server.kill().unwrap();
    redis_server.wait().unwrap();
    assert!(seen.contains("REDIS DOES NOT PERSIST"), "{seen}");
    assert!(seen.contains("listening"), "it still starts: {seen}");
}
