//! Redis goes away and comes back: the server answers 503 problems meanwhile (bounded by the
//! store timeout, never hanging) and recovers without a restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use e2e::{AppOptions, assert_problem, spawn_app_with};
use reqwest::StatusCode;
use test_support::free_port;

pub(crate) struct PrivateRedis {
    pub(crate) port: u16,
    child: Child,
}

impl PrivateRedis {
    pub(crate) fn start(port: u16) -> Option<Self> {
        let redis_server = test_support::find_program("redis-server")?;
        let child = Command::new(redis_server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the server: unreachable meanwhile, its data
    /// intact afterwards (a failover's pause without the data loss of a restart).
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn redis_down_is_503_and_the_server_recovers_when_it_returns() {
    let port = free_port();
    let Some(redis) = PrivateRedis::start(port) else {
        panic!("this test needs redis-server on PATH (.ci/run installs it)");
    };
    let mut options = AppOptions::default();
    options.vars.push((
        "REDIS_URL".into(),
        format!("redis://127.0.0.1:{}", redis.port),
    ));
    // Sandbox mode: HubSpot is served in process, so only Redis can go away.
    let app = spawn_app_with(Vec::new(), options).await;
    app.connect_via_sandbox("alice").await;
    assert_eq!(app.items("alice", "").await.status(), StatusCode::OK);

    redis.stop();
    let res = app.items("alice", "").await;
    assert_problem(res, 503, "store_unavailable").await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_problem(res, 503, "store_unavailable").await;

    // Same port, empty data (no persistence): the server reconnects by itself.
    let redis = PrivateRedis::start(port).expect("restart redis");
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The grant went with the data: alice connects again.
    app.connect_via_sandbox("alice").await;
    assert_eq!(app.items("alice", "").await.status(), StatusCode::OK);
    redis.stop();
}
