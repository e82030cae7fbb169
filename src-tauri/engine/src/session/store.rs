//! The storage connection: its settings in precedence order, the cached client, the check,
//! and the S3-compatible services the Settings screen can fill in.

use serde::Serialize;
use ts_rs::TS;

use super::{SecretSlot, Session};
use crate::store::{
    resolve_store_config, ConnectionReport, LocalBucketOptions, ObjectStore, StoreConfigLayer,
};
use crate::Result;

/// An S3-compatible service the Settings screen can fill in.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StoragePreset {
    pub id: String,
    pub name: String,
    /// With `{account}` or `{region}` where the user's own value goes.
    pub endpoint: String,
    pub region: String,
    pub path_style: bool,
    pub help: String,
}

impl Session {
    // ---- storage ----

    /// The storage layers in precedence order, with the saved secret key from the keyring.
    async fn store_config(&self) -> Result<crate::store::StoreConfig> {
        let settings = self.settings();
        let mut saved = settings.store_layer();
        if settings.storage_uses_secret_key() {
            saved.secret_access_key = self
                .secrets
                .get(&SecretSlot::StorageSecretKey.name())
                .await?;
        }
        let env = match &self.env {
            Some(lookup) => StoreConfigLayer::from_env(|name| lookup(name)),
            None => StoreConfigLayer::default(),
        };
        resolve_store_config(
            &self.overrides.storage,
            &env,
            Some(&saved),
            self.policy.clone(),
        )
    }

    async fn connect_store(&self) -> Result<ObjectStore> {
        let config = self.store_config().await?;
        let local_dir = self.overrides.local_dir.clone();
        ObjectStore::open(&config, || {
            let dir = match local_dir {
                Some(dir) => dir,
                None => LocalBucketOptions::default_data_dir()?,
            };
            LocalBucketOptions::with_random_credentials(dir)
        })
        .await
    }

    /// The storage connection, made once and kept until the settings change.
    pub async fn store(&self) -> Result<ObjectStore> {
        let mut cached = self.store.lock().await;
        if let Some(store) = cached.as_ref() {
            return Ok(store.clone());
        }
        let store = self.connect_store().await?;
        *cached = Some(store.clone());
        Ok(store)
    }

    /// Lists, writes, reads and deletes a probe under the user's prefix.
    pub async fn check_storage(&self) -> Result<ConnectionReport> {
        let store = self.store().await?;
        store.check(&self.user()?).await
    }
}

/// S3-compatible services the Settings screen can fill in.
pub fn storage_presets() -> Vec<StoragePreset> {
    let preset =
        |id: &str, name: &str, endpoint: &str, region: &str, path_style: bool, help: &str| {
            StoragePreset {
                id: id.into(),
                name: name.into(),
                endpoint: endpoint.into(),
                region: region.into(),
                path_style,
                help: help.into(),
            }
        };
    vec![
        preset("r2", "Cloudflare R2", "https://{account}.r2.cloudflarestorage.com", "auto", false,
            "Your account ID is on the R2 overview page; create an API token with Object Read & Write."),
        preset("minio", "MinIO", "http://localhost:9000", "us-east-1", true,
            "The address of your MinIO server, and an access key made in its console."),
        preset("garage", "Garage", "http://localhost:3900", "garage", true,
            "The S3 API address of your Garage node; the region is the s3_region in garage.toml."),
        preset("b2", "Backblaze B2", "https://s3.{region}.backblazeb2.com", "us-west-004", false,
            "Use the S3 endpoint shown on your bucket's page and an application key."),
        preset("wasabi", "Wasabi", "https://s3.{region}.wasabisys.com", "us-east-1", false,
            "Use your bucket's region and an access key from the Wasabi console."),
    ]
}
