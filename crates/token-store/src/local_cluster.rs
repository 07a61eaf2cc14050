//! A throwaway three-master Redis Cluster on loopback, for tests of cluster support (feature
//! `conformance`): three `redis-server --cluster-enabled yes` processes joined by
//! `redis-cli --cluster create`, without persistence, in a temporary directory.
//!
//! Each server runs under a small shell watchdog that stops it and removes the directory when the
//! test process exits, so the cluster shared by a whole test binary (a `static`, never dropped)
//! leaves nothing behind.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running local cluster (see the module docs).
#[derive(Debug)]
pub struct LocalCluster {
    ports: [u16; 3],
}

impl LocalCluster {
    /// The cluster shared by this test process, started on first use; `None` (after saying why
    /// on stderr) when `redis-server` or `redis-cli` is not installed.
    pub fn shared() -> Option<&'static LocalCluster> {
        static CLUSTER: OnceLock<Option<LocalCluster>> = OnceLock::new();
        CLUSTER.get_or_init(Self::start).as_ref()
    }

    /// The `REDIS_URL` of the cluster: its three nodes, comma-separated.
    pub fn url(&self) -> String {
        let nodes = self.ports.iter().map(|p| format!("redis://127.0.0.1:{p}"));
        nodes.collect::<Vec<_>>().join(",")
    }

    /// The nodes' ports.
    pub fn ports(&self) -> [u16; 3] {
        self.ports
    }

    fn start() -> Option<Self> {
        for tool in ["redis-server", "redis-cli"] {
            if Command::new(tool).arg("--version").output().is_err() {
                eprintln!("skipping Redis Cluster tests: `{tool}` is not installed");
                return None;
            }
        }
        let dir = std::env::temp_dir().join(format!(
            "vs-cluster-{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        ));
        std::fs::create_dir_all(&dir).expect("cluster directory");
        let ports = [free_port(), free_port(), free_port()];
        for port in ports {
            let args = format!(
                "--port {port} --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file {dir}/nodes-{port}.conf \
                 --dir {dir} --save '' --appendonly no --cluster-node-timeout 2000 --logfile {dir}/redis-{port}.log",
                dir = dir.display()
            );
            let watchdog = format!(
                "redis-server {args} & r=$!; while kill -0 {parent} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.5; done; kill $r 2>/dev/null; wait $r; rm -rf '{dir}'",
                parent = std::process::id(),
                dir = dir.display()
            );
            let mut child = Command::new("sh")
                .args(["-c", &watchdog])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            // Reaped whenever it ends, so it never lingers as a zombie.
            std::thread::spawn(move || child.wait());
        }
        for port in ports {
            wait_for(
                || cli(port, &["PING"]).is_some_and(|o| o.contains("PONG")),
                "a cluster node to start",
            );
        }
        let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli --cluster create");
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        for port in ports {
            wait_for(
                || cli(port, &["CLUSTER", "INFO"]).is_some_and(|o| o.contains("cluster_state:ok")),
                "the cluster to agree on its slots",
            );
        }
        Some(Self { ports })
    }
}

/// A port with its cluster bus port (+10,000) free too.
fn free_port() -> u16 {
    loop {
        let port = 20_000 + rand::random::<u16>() % 30_000;
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
}

fn cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
