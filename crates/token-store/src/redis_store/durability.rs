//! Whether Redis keeps what it is given across a restart. A token store on a Redis without
//! persistence works perfectly until the first restart, then silently forgets every grant; the
//! server asks at start-up so it can warn (or refuse) instead. Managed Redis services often
//! disable `CONFIG`, hence the fallback to what `INFO persistence` reports.

use std::fmt;

use deadpool_redis::redis;
use integration_core::StoreError;

use super::RedisTokenStore;
use super::connection::Conn;

/// Whether Redis keeps its data across a restart, as [`RedisTokenStore::persistence`] found it.
///
/// Without persistence a Redis restart forgets every stored grant, and every user has to
/// reconnect every integration. The server can warn (or refuse to start in production) when
/// [`is_durable`](Self::is_durable) is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Persistence {
    /// Read from `CONFIG GET appendonly` and `CONFIG GET save`: exact.
    Configured {
        /// The append-only file is on (`appendonly yes`).
        aof: bool,
        /// RDB snapshot points are configured (`save` is not empty).
        rdb: bool,
    },
    /// Read from `INFO persistence`, because `CONFIG` is disabled or renamed (as on most managed
    /// Redis services).
    Reported {
        /// The append-only file is on (`aof_enabled:1`): exact.
        aof: bool,
        /// Redis has written an RDB snapshot since it started (`rdb_saves` or
        /// `rdb_last_bgsave_time_sec`). `INFO` does not list save points, so this is evidence
        /// rather than configuration: a server with save points that has not reached one yet
        /// shows `false`.
        rdb: bool,
    },
    /// Neither `CONFIG GET` nor `INFO persistence` answered (both disabled, or not allowed to
    /// this user).
    Unknown,
}

impl Persistence {
    /// `true` if Redis writes its data to disk (AOF, or RDB snapshots), so a restart keeps
    /// stored credentials (up to the last fsync or snapshot). `false` when it does not, and when
    /// that is [`Unknown`](Self::Unknown).
    pub fn is_durable(&self) -> bool {
        match *self {
            Self::Configured { aof, rdb } | Self::Reported { aof, rdb } => aof || rdb,
            Self::Unknown => false,
        }
    }
}

impl fmt::Display for Persistence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |yes: bool| if yes { "on" } else { "off" };
        match *self {
            Self::Configured { aof, rdb } => {
                write!(f, "AOF {}, RDB snapshots {} (CONFIG GET)", on(aof), on(rdb))
            }
            Self::Reported { aof, rdb } => write!(
                f,
                "AOF {}, RDB snapshots {} (INFO persistence; CONFIG is disabled)",
                on(aof),
                if rdb { "seen" } else { "not seen" }
            ),
            Self::Unknown => f.write_str("unknown (CONFIG and INFO are both disabled)"),
        }
    }
}

impl RedisTokenStore {
    /// Whether Redis persists its data: `CONFIG GET appendonly` and `CONFIG GET save`, or, when
    /// `CONFIG` is refused (renamed or forbidden, as on managed Redis), `INFO persistence`;
    /// [`Persistence::Unknown`] when both are refused. `Err` only if Redis is unreachable.
    #[tracing::instrument(skip_all)]
    pub async fn persistence(&self) -> Result<Persistence, StoreError> {
        self.with_connection("CONFIG GET/INFO", |mut connection| async move {
            match config_persistence(&mut connection).await {
                Ok(Some(persistence)) => return Ok(persistence),
                Ok(None) => {}
                Err(e) if refused(&e) => {}
                Err(e) => return Err(e),
            }
            match redis::cmd("INFO")
                .arg("persistence")
                .query_async::<String>(&mut connection)
                .await
            {
                Ok(info) => Ok(info_persistence(&info)),
                Err(e) if refused(&e) => Ok(Persistence::Unknown),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

/// `CONFIG GET appendonly` / `save`; `None` if Redis answered without those parameters.
async fn config_persistence(connection: &mut Conn) -> redis::RedisResult<Option<Persistence>> {
    let Some(appendonly) = config_get(connection, "appendonly").await? else {
        return Ok(None);
    };
    let Some(save) = config_get(connection, "save").await? else {
        return Ok(None);
    };
    Ok(Some(Persistence::Configured {
        aof: appendonly.trim().eq_ignore_ascii_case("yes"),
        rdb: !save.trim().is_empty(),
    }))
}

/// One `CONFIG GET` parameter; `None` if Redis does not list it.
async fn config_get(
    connection: &mut Conn,
    name: &'static str,
) -> redis::RedisResult<Option<String>> {
    // A flat [name, value] array (RESP2) or a map (RESP3): both read as a map.
    let mut answer: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(connection)
        .await?;
    Ok(answer.remove(name))
}

/// Reads `INFO persistence`; [`Persistence::Unknown`] if it lacks `aof_enabled`.
fn info_persistence(info: &str) -> Persistence {
    let field = |name: &str| {
        info.lines().find_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            (key == name).then(|| value.trim().parse::<i64>().ok())?
        })
    };
    let Some(aof) = field("aof_enabled") else {
        return Persistence::Unknown;
    };
    let rdb = field("rdb_saves").is_some_and(|saves| saves > 0)
        || field("rdb_last_bgsave_time_sec").is_some_and(|seconds| seconds >= 0);
    Persistence::Reported { aof: aof == 1, rdb }
}

/// Redis answered, with an error reply (unknown command, no permission), rather than failing to
/// answer.
fn refused(error: &redis::RedisError) -> bool {
    matches!(
        error.kind(),
        redis::ErrorKind::ResponseError | redis::ErrorKind::ExtensionError
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_persistence_reads_aof_and_snapshot_evidence() {
        let info = "# Persistence\r\nloading:0\r\nrdb_saves:0\r\nrdb_last_bgsave_time_sec:-1\r\naof_enabled:0\r\n";
        let found = info_persistence(info);
        assert_eq!(
            found,
            Persistence::Reported {
                aof: false,
                rdb: false
            }
        );
        assert!(!found.is_durable());

        let snapshotted = info.replace("rdb_saves:0", "rdb_saves:3");
        assert!(info_persistence(&snapshotted).is_durable());
        // Older servers have no rdb_saves; a finished background save is the evidence.
        let older = "rdb_last_bgsave_time_sec:0\naof_enabled:0\n";
        assert!(info_persistence(older).is_durable());
        assert!(info_persistence("aof_enabled:1\n").is_durable());
        assert_eq!(info_persistence("# nothing useful\n"), Persistence::Unknown);
    }
}
