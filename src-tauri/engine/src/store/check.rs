//! The connection check: everything BucketForge needs from a bucket, tried under the user's
//! own prefix.

use serde::Serialize;

use super::failure::classify;
use super::keys::{ProjectKey, UserId};
use super::object_store::{ConditionalWrites, ObjectStore};
use crate::error::Access;
use crate::{Error, Result};

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
    pub can_copy: bool,
    pub can_delete: bool,
    pub conditional_writes: ConditionalWrites,
    /// Sentences for the user.
    pub notes: Vec<String>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

impl ObjectStore {
    /// Tries everything BucketForge does (list, write with conditions, read, a server-side copy,
    /// delete) under the user's own prefix. A refusal doesn't stop the check: every operation the
    /// keys may not do is named in one error. Any other failure (no such bucket, a wrong secret,
    /// no connection) is reported as it happens.
    pub async fn check(&self, user: &UserId) -> Result<ConnectionReport> {
        let started = std::time::Instant::now();
        let prefix = ProjectKey::user_prefix(user);
        let mut refused: Vec<Error> = Vec::new();
        let mut probe_written = false;
        let mut copy_written = false;
        let probe = self.probe_key(user);
        let copy = format!("{probe}.copy");

        let outcome: Result<Option<ConditionalWrites>> = async {
            keep_refusal(
                self.list_page(&prefix, true, 1, None, "listing projects")
                    .await,
                &mut refused,
            )?;
            let conditional =
                keep_refusal(self.probe_conditions(&probe, &prefix).await, &mut refused)?;
            probe_written = conditional.is_some();
            if probe_written {
                let read = self
                    .inner
                    .client
                    .get_object()
                    .bucket(&self.inner.bucket)
                    .key(&probe)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        classify(
                            e,
                            &self.attempt(
                                "reading the test object".into(),
                                Access::Read,
                                prefix.clone(),
                            ),
                        )
                    });
                keep_refusal(read, &mut refused)?;
                let copied = self
                    .copy_raw(&probe, &copy, &prefix, "copying the test object")
                    .await;
                copy_written = keep_refusal(copied, &mut refused)?.is_some();
            }
            Ok(conditional)
        }
        .await;

        // The check stopped on a failure that isn't a refusal: clean up what it wrote, and say
        // what stopped it.
        if let Err(e) = outcome {
            if copy_written {
                let _ = self.delete_probe(&copy, &prefix).await;
            }
            if probe_written {
                let _ = self.delete_probe(&probe, &prefix).await;
            }
            return Err(e);
        }
        // Leave nothing behind; and delete the probe even when it was never written: S3 lets
        // whoever may delete "delete" a missing object, so the answer still tells.
        let mut cleanup = Vec::new();
        if copy_written {
            cleanup.push(self.delete_probe(&copy, &prefix).await);
        }
        cleanup.push(self.delete_probe(&probe, &prefix).await);
        for result in cleanup {
            match result {
                Ok(()) => {}
                Err(e @ Error::AccessDenied { .. }) => {
                    if !refused.iter().any(|r| access_of(r) == Some(Access::Delete)) {
                        refused.push(e);
                    }
                }
                Err(e) if refused.is_empty() => return Err(e),
                Err(_) => {}
            }
        }
        let conditional = outcome?;

        match refused.len() {
            0 => {}
            1 => return Err(refused.remove(0)),
            _ => {
                return Err(Error::PermissionsMissing {
                    bucket: self.inner.bucket.clone(),
                    prefix,
                    missing: refused.iter().filter_map(access_of).collect(),
                })
            }
        }
        let conditional = conditional.unwrap_or(ConditionalWrites::NotImplemented);
        self.remember(conditional);

        let mut notes = vec![
            format!("BucketForge can list, write, read, copy and delete under “{prefix}”."),
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
            can_copy: true,
            can_delete: true,
            conditional_writes: conditional,
            notes,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// A refusal is kept to be reported with the others (`Ok(None)`); any other error stops the check.
fn keep_refusal<T>(result: Result<T>, refused: &mut Vec<Error>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e @ Error::AccessDenied { .. }) => {
            refused.push(e);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn access_of(error: &Error) -> Option<Access> {
    match error {
        Error::AccessDenied { access, .. } => Some(*access),
        _ => None,
    }
}
