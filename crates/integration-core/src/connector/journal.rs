//! Pull mode: one reader per deployment copies the provider's journal into the same per-account
//! logs webhooks fill, so everything downstream (feeds, `changes`) cannot tell the two apart.
//!
//! One reader at a time: each pass takes a store lock (a lease: a reader that dies holding it
//! blocks the others only until it expires), so N replicas read the journal once, and any of
//! them takes over when the reader dies. The position is saved after the events it covers are
//! stored: a reader that dies in between reads them again, and the logs' identities make the
//! second copy a no-op. A journal keeps days of events (HubSpot: three), so a deployment that
//! was down for two days misses nothing.

use std::sync::Arc;
use std::time::Duration;

use super::Connector;
use crate::Error;

/// Most journal reads in one pass (then the lease is given back, and the next pass goes on).
const MAX_READS_PER_PASS: usize = 50;

/// What one pass over the journal did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalPass {
    /// Whether this process held the lease (another reader was busy otherwise).
    pub led: bool,
    /// Journal reads made.
    pub reads: usize,
    /// Events read.
    pub events: usize,
    /// Events stored now (not already there, for an account someone is connected to).
    pub stored: usize,
}

impl Connector {
    fn journal_names(&self) -> (String, String) {
        let provider = self.integration.id();
        (
            format!("journal:{provider}"),
            format!("journal-reader:{provider}"),
        )
    }

    /// One pass: if no other process is reading, reads the journal from the saved position
    /// until it is caught up (or [`MAX_READS_PER_PASS`] reads), storing what it says.
    pub async fn pull_journal(&self, lease: Duration) -> Result<JournalPass, Error> {
        let (Some(journal), Some(log)) = (self.integration.journal(), self.options.events.as_ref())
        else {
            return Err(Error::Unsupported(format!(
                "{} has no journal here",
                self.integration.display_name()
            )));
        };
        let (position_name, lock_name) = self.journal_names();
        let Some(lock) = self.store.try_lock(&lock_name, lease).await? else {
            return Ok(JournalPass::default());
        };
        let mut pass = JournalPass {
            led: true,
            ..JournalPass::default()
        };
        let outcome = async {
            let mut position = log.position(&position_name).await?;
            while pass.reads < MAX_READS_PER_PASS {
                let page = journal.read_after(position.as_deref()).await?;
                pass.reads += 1;
                pass.events += page.events.len();
                let receipt = self.route(log.as_ref(), page.events, "journal").await?;
                pass.stored += receipt.stored;
                if let Some(next) = page.next {
                    log.set_position(&position_name, &next).await?;
                    position = Some(next);
                }
                if !page.more {
                    break;
                }
            }
            Ok::<_, Error>(())
        }
        .await;
        let _ = self.store.unlock(&lock_name, &lock).await;
        outcome.map(|()| pass)
    }

    /// Reads the journal every `every` for as long as the returned task runs, whichever process
    /// holds the lease each time (see the module docs). Failures are logged and retried at the
    /// next pass.
    pub fn run_journal(
        self: Arc<Self>,
        every: Duration,
        lease: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let provider = self.integration.id();
            loop {
                match self.pull_journal(lease).await {
                    Ok(pass) if pass.stored > 0 => {
                        tracing::info!(
                            provider,
                            reads = pass.reads,
                            events = pass.events,
                            stored = pass.stored,
                            "journal read"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(provider, error = %error, "journal read failed; retrying at the next pass");
                    }
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
