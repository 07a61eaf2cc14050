//! What the workspace's tests share, so each test file does not carry its own copy: a free
//! loopback port, and finding the programs a test starts itself (`redis-server`, `redis-cli`).
//!
//! A test that needs a program this machine lacks may skip locally, with a loud message, but it
//! must not pass quietly in CI: a skipped test reports as passed, so a CI machine without
//! `redis-server` would otherwise go green without running them. With `CI` set (as `.ci/run`
//! does, and as CI services do), [`redis_server`] and [`required_program`] panic instead.
//!
//! No dependencies: every test binary in the workspace links this crate.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// A loopback port nothing listens on right now (bound to port 0, read, released).
///
/// Another process may take it before the caller binds it; fine for tests that start a server on
/// it straight away or need a port where nobody answers.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral loopback port")
        .port()
}

/// Whether this is a CI run: `CI` is set, non-empty, and not `false` or `0`.
pub fn in_ci() -> bool {
    means_ci(std::env::var("CI").ok().as_deref())
}

fn means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        let value = value.trim();
        !value.is_empty() && value != "0" && !value.eq_ignore_ascii_case("false")
    })
}

/// Where `program` is on `PATH`, if it is there and executable.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The path of `program`, which `test` needs. When it is not on `PATH`: under CI (see [`in_ci`])
/// this panics, so the test fails; otherwise it says on stderr that `test` is skipped and returns
/// `None`, and the test should return.
pub fn required_program(program: &str, test: &str) -> Option<PathBuf> {
    if let Some(found) = find_program(program) {
        return Some(found);
    }
    assert!(
        !in_ci(),
        "{test}: `{program}` is not on PATH, and CI is set, so this test fails rather than skip \
         (.ci/run installs it)"
    );
    eprintln!(
        "SKIPPED {test}: `{program}` is not on PATH (this is a failure when CI=true; .ci/run \
         installs it)"
    );
    None
}

/// The path of `redis-server`, for `test`, which starts its own: [`required_program`].
pub fn redis_server(test: &str) -> Option<PathBuf> {
    required_program("redis-server", test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
    }

    #[test]
    fn ci_is_any_value_but_empty_false_or_0() {
        for value in ["true", "1", "yes", "TRUE"] {
            assert!(means_ci(Some(value)), "{value}");
        }
        for value in [
            None,
            Some(""),
            Some(" "),
            Some("0"),
            Some("false"),
            Some("False"),
        ] {
            assert!(!means_ci(value), "{value:?}");
        }
    }

    #[test]
    fn a_program_that_does_not_exist_is_not_found() {
        assert_eq!(find_program("surely-no-such-program-on-path-42"), None);
    }
}
