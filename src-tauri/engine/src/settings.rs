//! Non-secret settings, as JSON in the OS config dir: which storage, which model, who the user is.
//! Secrets are never here; they live in the OS keyring (see `secrets`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::llm::ProviderKind;
use crate::spoken::spoken_list;
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

/// How BucketForge learns of a new version of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct UpdateSettings {
    /// Look for a new version quietly each time the window opens.
    pub check_at_start: bool,
    /// Where the update description (`latest.json`) is read; empty means BucketForge's own.
    pub address: String,
}

impl Default for UpdateSettings {
    fn default() -> Self {
        Self {
            check_at_start: true,
            address: String::new(),
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
    pub updates: UpdateSettings,
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
            updates: UpdateSettings::default(),
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

/// Every setting a person can change by name, as `bucketforge config set NAME VALUE` takes it.
pub const SETTING_NAMES: &[&str] = &[
    "storage.kind",
    "storage.bucket",
    "storage.region",
    "storage.endpoint",
    "storage.path_style",
    "storage.access_key_id",
    "storage.aws_profile",
    "user_id",
    "llm.provider",
    "llm.model",
    "llm.base_url",
    "concurrency",
];

impl StorageKind {
    pub const ALL: [StorageKind; 4] = [
        StorageKind::Local,
        StorageKind::AmazonS3,
        StorageKind::S3Compatible,
        StorageKind::AwsProfile,
    ];

    /// The name saved in the settings file and typed after `storage.kind`.
    pub fn id(self) -> &'static str {
        match self {
            StorageKind::Local => "local",
            StorageKind::AmazonS3 => "amazon-s3",
            StorageKind::S3Compatible => "s3-compatible",
            StorageKind::AwsProfile => "aws-profile",
        }
    }
}

impl Settings {
    /// Changes one setting, named as in [`SETTING_NAMES`], to a value given as text; a value
    /// that does not fit the setting is refused with the reason and nothing is changed.
    pub fn set_by_name(&mut self, name: &str, value: &str) -> Result<()> {
        let invalid = |reason: String| Error::InvalidSettings { reason };
        let flag = |v: &str| match v {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(invalid(format!("{name} is true or false, not “{v}”"))),
        };
        match name {
            "storage.kind" => {
                self.storage.kind = StorageKind::ALL
                    .into_iter()
                    .find(|kind| kind.id() == value)
                    .ok_or_else(|| {
                        invalid(format!(
                            "storage.kind is {}, not “{value}”",
                            spoken_list(StorageKind::ALL.map(StorageKind::id).as_slice(), "or")
                        ))
                    })?
            }
            "storage.bucket" => self.storage.bucket = value.into(),
            "storage.region" => self.storage.region = value.into(),
            "storage.endpoint" => self.storage.endpoint = value.into(),
            "storage.path_style" => self.storage.path_style = flag(value)?,
            "storage.access_key_id" => self.storage.access_key_id = value.into(),
            "storage.aws_profile" => self.storage.aws_profile = value.into(),
            "user_id" => self.user_id = Some(UserId::new(value)?),
            "llm.provider" => self.llm.provider = value.parse()?,
            "llm.model" => self.llm.model = value.into(),
            "llm.base_url" => self.llm.base_url = value.into(),
            "concurrency" => {
                self.concurrency = value
                    .parse()
                    .map_err(|_| invalid(format!("concurrency is a number, not “{value}”")))?
            }
            _ => {
                return Err(invalid(format!(
                    "there is no setting called “{name}”; the settings are {}",
                    spoken_list(SETTING_NAMES, "and")
                )))
            }
        }
        Ok(())
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

    #[test]
    fn settings_are_set_by_dotted_name() {
        let mut s = Settings::default();
        s.set_by_name("storage.kind", "s3-compatible").unwrap();
        s.set_by_name("storage.path_style", "yes").unwrap();
        s.set_by_name("storage.bucket", "my-apps").unwrap();
        s.set_by_name("llm.provider", "anthropic").unwrap();
        s.set_by_name("llm.model", "claude-x").unwrap();
        s.set_by_name("user_id", "jane").unwrap();
        s.set_by_name("concurrency", "3").unwrap();
        assert_eq!(s.storage.kind, StorageKind::S3Compatible);
        assert!(s.storage.path_style);
        assert_eq!(s.storage.bucket, "my-apps");
        assert_eq!(s.llm.provider, ProviderKind::Anthropic);
        assert_eq!(s.llm.model, "claude-x");
        assert_eq!(s.user_id.unwrap().as_str(), "jane");
        assert_eq!(s.concurrency, 3);
    }

    #[test]
    fn every_named_setting_can_be_set_and_changes_the_settings() {
        let samples = [
            ("storage.kind", "aws-profile"),
            ("storage.path_style", "true"),
            ("user_id", "someone"),
            ("llm.provider", "ollama"),
            ("concurrency", "9"),
        ];
        for name in SETTING_NAMES {
            let value = samples
                .iter()
                .find(|(n, _)| n == name)
                .map_or("some-text", |(_, v)| *v);
            let mut s = Settings::default();
            s.set_by_name(name, value)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_ne!(s, Settings::default(), "{name} changed nothing");
        }
    }

    #[test]
    fn storage_kinds_are_typed_as_the_settings_file_spells_them() {
        for kind in StorageKind::ALL {
            assert_eq!(serde_json::json!(kind), kind.id());
            let mut s = Settings::default();
            s.set_by_name("storage.kind", kind.id()).unwrap();
            assert_eq!(s.storage.kind, kind);
        }
    }

    #[test]
    fn unknown_names_and_bad_values_are_refused_with_the_reason_and_change_nothing() {
        let mut s = Settings::default();
        let unknown = s.set_by_name("storage.colour", "red").unwrap_err();
        assert_eq!(unknown.code(), "invalid_settings");
        assert!(unknown.to_string().contains("storage.colour"), "{unknown}");
        assert!(
            unknown.to_string().contains("llm.model"),
            "lists the names: {unknown}"
        );
        let kind = s.set_by_name("storage.kind", "ftp").unwrap_err();
        assert!(
            kind.to_string()
                .contains("local, amazon-s3, s3-compatible or aws-profile, not “ftp”"),
            "{kind}"
        );
        assert!(s.set_by_name("storage.path_style", "maybe").is_err());
        assert!(s.set_by_name("concurrency", "many").is_err());
        assert_eq!(
            s.set_by_name("user_id", "Not Valid").unwrap_err().code(),
            "invalid_name"
        );
        assert!(s.set_by_name("llm.provider", "skynet").is_err());
        assert_eq!(s, Settings::default());
    }
}
