//! Non-secret settings, as JSON in the OS config dir: which storage, which model, who the user is.
//! Secrets are never here; they live in the OS keyring (see `secrets`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::llm::ProviderKind;
use crate::store::{StoreConfigLayer, UserId};
use crate::{Error, Result};

/// Bumped when an older BucketForge could misread the file.
pub const SETTINGS_SCHEMA_VERSION: u32 = 1;
const FILE_NAME: &str = "settings.json";
/// The one storage profile there is today; secrets are filed under it.
pub const STORAGE_PROFILE: &str = "default";

/// Where projects are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StorageKind {
    /// The bucket built into the app, on this computer: no account needed.
    #[default]
    Local,
    /// Amazon S3 with an access key.
    AmazonS3,
    /// Any S3-compatible service (R2, MinIO, Garage, B2, Wasabi, ...) with an access key.
    S3Compatible,
    /// A profile from the AWS CLI's `~/.aws/config` (SSO and roles included).
    AwsProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(default)]
#[ts(export)]
pub struct StorageSettings {
    pub kind: StorageKind,
    pub bucket: String,
    pub region: String,
    /// Empty for AWS itself.
    pub endpoint: String,
    pub path_style: bool,
    pub access_key_id: String,
    pub aws_profile: String,
    /// The S3-compatible preset the user started from (`r2`, `minio`, ...), for the UI.
    pub preset: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct LlmSettings {
    pub provider: ProviderKind,
    /// Empty means the provider's default model.
    pub model: String,
    /// Empty means the provider's standard address.
    pub base_url: String,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            provider: ProviderKind::OpenAi,
            model: String::new(),
            base_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct Settings {
    pub schema_version: u32,
    pub storage: StorageSettings,
    /// Whose projects these are; `None` means the OS user name, slugified.
    pub user_id: Option<UserId>,
    pub llm: LlmSettings,
    /// File requests at once.
    pub concurrency: u32,
    /// The first-run welcome has been completed.
    pub onboarded: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema_version: SETTINGS_SCHEMA_VERSION,
            storage: StorageSettings::default(),
            user_id: None,
            llm: LlmSettings::default(),
            concurrency: crate::limits::DEFAULT_CONCURRENCY,
            onboarded: false,
        }
    }
}

impl Settings {
    /// The storage part as a layer for `resolve_store_config` (without the secret, which the
    /// caller reads from the keyring).
    pub fn store_layer(&self) -> StoreConfigLayer {
        let s = &self.storage;
        let non_empty = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        match s.kind {
            StorageKind::Local => StoreConfigLayer {
                local: Some(true),
                region: non_empty(&s.region),
                ..StoreConfigLayer::default()
            },
            StorageKind::AmazonS3 | StorageKind::S3Compatible => StoreConfigLayer {
                bucket: non_empty(&s.bucket),
                region: non_empty(&s.region),
                endpoint: if s.kind == StorageKind::S3Compatible {
                    non_empty(&s.endpoint)
                } else {
                    None
                },
                path_style: Some(s.path_style),
                access_key_id: non_empty(&s.access_key_id),
                ..StoreConfigLayer::default()
            },
            StorageKind::AwsProfile => StoreConfigLayer {
                bucket: non_empty(&s.bucket),
                region: non_empty(&s.region),
                profile: Some(non_empty(&s.aws_profile).unwrap_or_else(|| "default".into())),
                ..StoreConfigLayer::default()
            },
        }
    }

    /// Whether storage needs a secret key from the keyring.
    pub fn storage_uses_secret_key(&self) -> bool {
        matches!(
            self.storage.kind,
            StorageKind::AmazonS3 | StorageKind::S3Compatible
        )
    }
}

/// The settings file and where it lives.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// The OS config dir (`~/.config/bucketforge` on Linux), or `BUCKETFORGE_CONFIG_DIR`.
    pub fn default_location() -> Result<Self> {
        let dir = match std::env::var_os("BUCKETFORGE_CONFIG_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => directories::ProjectDirs::from("app", "bucketforge", "BucketForge")
                .map(|d| d.config_dir().to_path_buf())
                .ok_or(Error::NoHomeDirectory)?,
        };
        Ok(Self::in_dir(dir))
    }

    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            path: dir.into().join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn backup_path(&self) -> PathBuf {
        self.path.with_extension("json.bak")
    }

    /// The saved settings; `None` on a first run. A file that can't be read is copied to
    /// `settings.json.bak` first, so nothing is lost when the user saves new settings.
    pub fn load(&self) -> Result<Option<Settings>> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(&e)),
        };
        let reason = match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => format!("it is not valid JSON ({e})"),
            Ok(value) => match value.get("schema_version").and_then(|v| v.as_u64()) {
                Some(v) if v > u64::from(SETTINGS_SCHEMA_VERSION) => format!(
                    "it was written by a newer BucketForge (settings version {v}); update BucketForge"
                ),
                _ => match serde_json::from_value::<Settings>(value) {
                    Ok(settings) => return Ok(Some(settings)),
                    Err(e) => format!("a value in it is not valid ({e})"),
                },
            },
        };
        fs::copy(&self.path, self.backup_path()).map_err(|e| self.io_error(&e))?;
        Err(Error::SettingsUnreadable {
            path: self.path.display().to_string(),
            backup: self.backup_path().display().to_string(),
            reason,
        })
    }

    /// Replaces the file atomically: a temporary file in the same folder, renamed over it.
    pub fn save(&self, settings: &Settings) -> Result<()> {
        let Some(dir) = self.path.parent() else {
            return Err(self.io_error(&std::io::Error::other("it names no folder")));
        };
        fs::create_dir_all(dir).map_err(|e| self.io_error(&e))?;
        let mut settings = settings.clone();
        settings.schema_version = SETTINGS_SCHEMA_VERSION;
        let json = serde_json::to_vec_pretty(&settings)
            .map_err(|e| self.io_error(&std::io::Error::other(e)))?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io_error(&e))?;
        temp.write_all(&json).map_err(|e| self.io_error(&e))?;
        temp.as_file().sync_all().map_err(|e| self.io_error(&e))?;
        temp.persist(&self.path)
            .map_err(|e| self.io_error(&e.error))?;
        Ok(())
    }

    fn io_error(&self, e: &std::io::Error) -> Error {
        Error::SettingsIo {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> (tempfile::TempDir, SettingsFile) {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path().join("bucketforge"));
        (dir, file)
    }

    #[test]
    fn a_first_run_has_no_settings() {
        let (_dir, file) = file();
        assert_eq!(file.load().unwrap(), None);
    }

    #[test]
    fn settings_round_trip_and_leave_no_temporary_files() {
        let (_dir, file) = file();
        let mut settings = Settings::default();
        settings.storage.kind = StorageKind::S3Compatible;
        settings.storage.bucket = "apps".into();
        settings.storage.endpoint = "http://127.0.0.1:9000".into();
        settings.user_id = Some(UserId::new("jane").unwrap());
        settings.llm.provider = ProviderKind::Anthropic;
        file.save(&settings).unwrap();
        assert_eq!(file.load().unwrap(), Some(settings));
        let entries: Vec<_> = fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("settings.json")]);
    }

    #[test]
    fn a_corrupt_file_is_a_clear_error_and_is_kept_as_bak() {
        let (_dir, file) = file();
        fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        fs::write(file.path(), "{ not json").unwrap();
        let err = file.load().unwrap_err();
        assert_eq!(err.code(), "settings_unreadable");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert!(err.to_string().contains("settings.json.bak"), "{err}");
        assert_eq!(
            fs::read_to_string(file.path().with_extension("json.bak")).unwrap(),
            "{ not json"
        );
    }

    #[test]
    fn a_file_from_a_newer_version_is_kept_too() {
        let (_dir, file) = file();
        fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        fs::write(file.path(), r#"{"schema_version": 99}"#).unwrap();
        let err = file.load().unwrap_err();
        assert!(err.to_string().contains("newer BucketForge"), "{err}");
        assert!(file.path().with_extension("json.bak").exists());
    }

    #[test]
    fn an_invalid_value_names_the_problem() {
        let (_dir, file) = file();
        fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        fs::write(file.path(), r#"{"user_id": "Not Valid"}"#).unwrap();
        let err = file.load().unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
    }

    #[test]
    fn saved_json_holds_no_secret_fields() {
        let json = serde_json::to_string(&Settings::default()).unwrap();
        for word in ["secret", "password", "api_key", "token"] {
            assert!(!json.contains(word), "{word} in {json}");
        }
    }

    #[test]
    fn storage_choices_become_the_right_store_layer() {
        let mut s = Settings::default();
        assert_eq!(s.store_layer().local, Some(true));
        s.storage = StorageSettings {
            kind: StorageKind::S3Compatible,
            bucket: "b".into(),
            endpoint: "https://acct.r2.cloudflarestorage.com".into(),
            region: "auto".into(),
            access_key_id: "AKIA".into(),
            ..StorageSettings::default()
        };
        let layer = s.store_layer();
        assert_eq!(
            layer.endpoint.as_deref(),
            Some("https://acct.r2.cloudflarestorage.com")
        );
        assert_eq!(layer.access_key_id.as_deref(), Some("AKIA"));
        assert!(s.storage_uses_secret_key());
        s.storage.kind = StorageKind::AwsProfile;
        s.storage.aws_profile = "work".into();
        assert_eq!(s.store_layer().profile.as_deref(), Some("work"));
        assert!(!s.storage_uses_secret_key());
    }
}
