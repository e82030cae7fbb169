//! The storage connection: its settings in precedence order, the cached client, the check,
//! and the S3-compatible services the Settings screen can fill in.

use serde::Serialize;
use ts_rs::TS;

use super::{SecretSlot, Session};
use crate::store::{
    resolve_store_config, team_policy, ConnectionReport, LocalBucketOptions, ObjectStore,
    StoreConfigLayer, TeamPolicy, UserId,
};
use crate::{Error, Result};

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
        self.resolve_with(saved)
    }

    fn resolve_with(&self, saved: StoreConfigLayer) -> Result<crate::store::StoreConfig> {
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

    /// The IAM policy that confines `user` to their own prefix of the configured bucket.
    /// Needs no connection: it is text for whoever manages the bucket.
    pub fn team_policy(&self, user: &str) -> Result<TeamPolicy> {
        let user = UserId::new(user)?;
        // The bucket is all it needs: no key, so no secret is read from the keyring.
        let mut saved = self.settings().store_layer();
        saved.access_key_id = None;
        let config = self.resolve_with(saved)?;
        if config.is_local() {
            return Err(Error::InvalidStoreSettings {
                reason: "the built-in bucket is on this computer only, so there is no team to give access to. \
                         Choose a shared S3 bucket in Settings (or pass --bucket) to make a policy for it"
                    .into(),
            });
        }
        team_policy(&config.bucket, &user)
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use secrecy::{ExposeSecret, SecretString};

    use super::super::testing::{env, session_with, window};
    use super::*;
    use crate::secrets::{InMemorySecrets, SecretStore};
    use crate::session::Overrides;
    use crate::settings::{Settings, SettingsFile, StorageKind, StorageSettings};
    use crate::store::StoreCredentials;

    /// Saved settings for an S3-compatible bucket, with its secret key in `secrets`.
    async fn saved_remote(dir: &std::path::Path, secrets: &InMemorySecrets) {
        let settings = Settings {
            storage: StorageSettings {
                kind: StorageKind::S3Compatible,
                bucket: "saved-bucket".into(),
                endpoint: "http://saved.example:9000".into(),
                access_key_id: "AKIASAVED".into(),
                region: "saved-region".into(),
                ..StorageSettings::default()
            },
            ..Settings::default()
        };
        SettingsFile::in_dir(dir.join("config"))
            .save(&settings)
            .unwrap();
        secrets
            .set(
                &SecretSlot::StorageSecretKey.name(),
                &SecretString::from("saved-secret"),
            )
            .await
            .unwrap();
    }

    fn flags(bucket: Option<&str>, local: bool) -> Overrides {
        Overrides {
            storage: StoreConfigLayer {
                bucket: bucket.map(str::to_string),
                local: local.then_some(true),
                ..StoreConfigLayer::default()
            },
            ..Overrides::default()
        }
    }

    #[tokio::test]
    async fn storage_comes_from_the_flags_then_the_environment_then_the_saved_settings() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(InMemorySecrets::default());
        saved_remote(dir.path(), &secrets).await;
        let cli = |pairs: &[(&str, &str)], overrides: Overrides| {
            session_with(dir.path(), secrets.clone(), Some(env(pairs)), overrides)
        };
        let env_bucket = [("S3_BUCKET_NAME", "env-bucket")];

        let flagged = cli(&env_bucket, flags(Some("flag-bucket"), false))
            .store_config()
            .await
            .unwrap();
        assert_eq!(flagged.bucket, "flag-bucket");

        let from_env = cli(&env_bucket, Overrides::default())
            .store_config()
            .await
            .unwrap();
        assert_eq!(from_env.bucket, "env-bucket");
        // Fields the environment leaves out still come from the saved settings.
        assert_eq!(from_env.region, "saved-region");
        assert_eq!(
            from_env.endpoint.as_deref(),
            Some("http://saved.example:9000")
        );

        let saved = cli(&[], Overrides::default()).store_config().await.unwrap();
        assert_eq!(saved.bucket, "saved-bucket");
        match &saved.credentials {
            StoreCredentials::Static {
                access_key_id,
                secret_access_key,
            } => {
                assert_eq!(access_key_id, "AKIASAVED");
                assert_eq!(secret_access_key.expose_secret(), "saved-secret");
            }
            _ => panic!("the saved key pair is used"),
        }

        // `--local` beats a bucket in the environment and in the settings.
        let local = cli(&env_bucket, flags(None, true))
            .store_config()
            .await
            .unwrap();
        assert!(local.is_local());
    }

    #[tokio::test]
    async fn with_nothing_chosen_anywhere_the_built_in_bucket_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let config = window(dir.path()).store_config().await.unwrap();
        assert!(config.is_local());
    }

    #[tokio::test]
    async fn a_command_line_session_takes_a_whole_storage_choice_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let cli = session_with(
            dir.path(),
            Arc::new(InMemorySecrets::default()),
            Some(env(&[
                ("S3_BUCKET_NAME", "env-bucket"),
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ])),
            Overrides::default(),
        );
        assert_eq!(cli.store_config().await.unwrap().bucket, "env-bucket");
    }

    #[tokio::test]
    async fn a_profile_needs_no_secret_from_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            storage: StorageSettings {
                kind: StorageKind::AwsProfile,
                bucket: "b".into(),
                aws_profile: "work".into(),
                ..StorageSettings::default()
            },
            ..Settings::default()
        };
        SettingsFile::in_dir(dir.path().join("config"))
            .save(&settings)
            .unwrap();
        // A keyring that would fail proves it is not asked.
        let session = session_with(
            dir.path(),
            Arc::new(super::super::testing::BrokenKeyring),
            None,
            Overrides::default(),
        );
        let config = session.store_config().await.unwrap();
        assert!(matches!(
            config.credentials,
            StoreCredentials::AwsChain { profile: Some(ref p) } if p == "work"
        ));
    }

    #[tokio::test]
    async fn the_built_in_bucket_passes_the_storage_check() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let report = session.check_storage().await.unwrap();
        assert!(report.can_list && report.can_write && report.can_read && report.can_delete);
        assert!(session.store().await.unwrap().is_built_in());
    }

    #[test]
    fn storage_presets_have_distinct_ids_and_fill_in_to_valid_addresses() {
        let presets = storage_presets();
        let ids: HashSet<&str> = presets.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), presets.len(), "ids are distinct");
        for preset in &presets {
            let filled = preset
                .endpoint
                .replace("{account}", "acct123")
                .replace("{region}", "us-east-1");
            assert!(
                !filled.contains('{'),
                "{}: only {{account}} and {{region}}",
                preset.id
            );
            let layer = StoreConfigLayer {
                bucket: Some("b".into()),
                endpoint: Some(filled.clone()),
                ..StoreConfigLayer::default()
            };
            let config = crate::store::resolve_store_config(
                &layer,
                &StoreConfigLayer::default(),
                None,
                crate::store::ConnectionPolicy::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", preset.id));
            assert_eq!(config.endpoint.as_deref(), Some(filled.as_str()));
            assert!(
                !preset.region.is_empty() && !preset.help.is_empty(),
                "{}",
                preset.id
            );
        }
        // Self-hosted servers need path-style addressing; hosted services don't.
        let path_style: Vec<&str> = presets
            .iter()
            .filter(|p| p.path_style)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(path_style, ["minio", "garage"]);
    }
}
