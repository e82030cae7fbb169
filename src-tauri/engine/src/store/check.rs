//! The connection check: everything BucketForge needs from a bucket, tried under the user's
//! own prefix.

use serde::Serialize;

use super::failure::classify;
use super::keys::{ProjectKey, UserId};
use super::object_store::{ConditionalWrites, ObjectStore};
use crate::error::Access;
use crate::Result;

/// What `check` found out about the bucket and the keys.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConnectionReport {
    pub bucket: String,
    pub region: String,
    pub endpoint: String,
    /// Where the probe object was written and deleted again.
    pub probe_key: String,
    pub can_list: bool,
    pub can_write: bool,
    pub can_read: bool,
    pub can_delete: bool,
    pub conditional_writes: ConditionalWrites,
    /// Sentences for the user.
    pub notes: Vec<String>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

impl ObjectStore {
    /// Tries everything BucketForge needs (list, write, read, delete, conditional writes)
    /// under the user's own prefix, and names the first thing that fails.
    pub async fn check(&self, user: &UserId) -> Result<ConnectionReport> {
        let started = std::time::Instant::now();
        let prefix = ProjectKey::user_prefix(user);
        self.list_page(&prefix, true, 1, None, "listing projects")
            .await?;

        let probe = self.probe_key(user);
        let conditional = match self.probe_conditions(&probe, &prefix).await {
            Ok(mode) => mode,
            Err(e) => {
                // The probe may exist if only a later step failed; leave nothing behind.
                let _ = self.delete_probe(&probe, &prefix).await;
                return Err(e);
            }
        };
        let read = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&probe)
            .send()
            .await;
        if let Err(e) = read {
            let _ = self.delete_probe(&probe, &prefix).await;
            return Err(classify(
                e,
                &self.attempt(
                    "reading the test object".into(),
                    Access::Read,
                    prefix.clone(),
                ),
            ));
        }
        self.delete_probe(&probe, &prefix).await?;
        self.remember(conditional);

        let mut notes = vec![
            format!("BucketForge can list, write, read and delete under “{prefix}”."),
            format!("Conditional writes: {}", conditional.describe()),
        ];
        if self.inner.local.is_some() {
            notes.push("This is the built-in bucket on this computer.".into());
        }
        Ok(ConnectionReport {
            bucket: self.inner.bucket.clone(),
            region: self.inner.region.clone(),
            endpoint: self.inner.endpoint.clone(),
            probe_key: probe,
            can_list: true,
            can_write: true,
            can_read: true,
            can_delete: true,
            conditional_writes: conditional,
            notes,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}
