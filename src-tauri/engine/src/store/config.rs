//! Where the projects are stored and how to sign in: the connection settings and their precedence.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::UserId;
use crate::{Error, Result};

/// The region used when nothing says otherwise; AWS's oldest, and what most S3-compatible
/// servers accept.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The one bucket the built-in server holds.
pub const LOCAL_BUCKET: &str = "bucketforge";

/// How BucketForge signs its requests.
#[derive(Clone)]
pub enum StoreCredentials {
    /// An access key pair typed in by the user (or given in the environment).
    Static {
        access_key_id: String,
        secret_access_key: SecretString,
    },
    /// The standard AWS chain: environment, `~/.aws/config` profiles, SSO, instance roles.
    AwsChain { profile: Option<String> },
    /// The built-in bucket on this computer.
    Local,
}

// Written by hand so the secret can never reach a log line, whatever the derive would do.
impl fmt::Debug for StoreCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreCredentials::Static { access_key_id, .. } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"[redacted]")
                .finish(),
            StoreCredentials::AwsChain { profile } => f
                .debug_struct("AwsChain")
                .field("profile", profile)
                .finish(),
            StoreCredentials::Local => f.write_str("Local"),
        }
    }
}

/// Time limits and retries for every request; the defaults suit a home connection, tests
/// shorten them so fault scenarios finish in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPolicy {
    pub connect_timeout: Duration,
    /// One try of one request, including reading the response.
    pub attempt_timeout: Duration,
    /// All tries of one request together.
    pub operation_timeout: Duration,
    /// Tries per request, the first included.
    pub max_attempts: u32,
    /// The first back-off; later ones grow exponentially with jitter.
    pub initial_backoff: Duration,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(120),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

/// Everything needed to reach one bucket.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub bucket: String,
    pub region: String,
    /// `None` means AWS itself; otherwise an S3-compatible service such as R2, MinIO or Garage.
    pub endpoint: Option<String>,
    /// Address the bucket as `endpoint/bucket/key` instead of `bucket.endpoint/key`.
    pub path_style: bool,
    pub credentials: StoreCredentials,
    pub policy: ConnectionPolicy,
}

impl StoreConfig {
    pub fn is_local(&self) -> bool {
        matches!(self.credentials, StoreCredentials::Local)
    }

    /// Where requests go, for messages: the endpoint, or AWS's regional one.
    pub fn endpoint_for_display(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => format!("https://s3.{}.amazonaws.com", self.region),
        }
    }
}

/// One source of storage settings (command-line flags, the environment, saved settings):
/// every field optional, so sources can be stacked and the first one that says something wins.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct StoreConfigLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_style: Option<bool>,
    /// `Some(true)`: use the built-in bucket, whatever lower layers say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Never saved with the settings: secrets live in the OS keyring.
    #[serde(skip)]
    pub secret_access_key: Option<SecretString>,
    /// A session token means temporary credentials, which the AWS chain handles in full.
    #[serde(skip)]
    pub has_session_token: bool,
}

impl fmt::Debug for StoreConfigLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfigLayer")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("local", &self.local)
            .field("profile", &self.profile)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("has_session_token", &self.has_session_token)
            .finish()
    }
}

impl StoreConfigLayer {
    /// The variables the AWS CLI and the original seed script read. `lookup` is the
    /// environment in production and a map in tests, so tests never touch the process env.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Self {
            bucket: get("S3_BUCKET_NAME"),
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
            endpoint: get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL")),
            path_style: None,
            local: None,
            profile: get("AWS_PROFILE"),
            access_key_id: get("AWS_ACCESS_KEY_ID"),
            secret_access_key: get("AWS_SECRET_ACCESS_KEY").map(SecretString::from),
            has_session_token: get("AWS_SESSION_TOKEN").is_some(),
        }
    }

    fn says_remote(&self) -> bool {
        self.bucket.is_some()
            || self.endpoint.is_some()
            || self.access_key_id.is_some()
            || self.profile.is_some()
    }
}

/// Merges storage settings: `flags` > `env` > `saved` > defaults.
///
/// The highest layer that picks a kind of storage (the built-in bucket, or a bucket /
/// endpoint / key / profile of its own) decides which kind; the other fields are taken from
/// the highest layer that sets them. With nothing set anywhere, the built-in bucket is used,
/// so a first run needs no AWS account.
pub fn resolve_store_config(
    flags: &StoreConfigLayer,
    env: &StoreConfigLayer,
    saved: Option<&StoreConfigLayer>,
    policy: ConnectionPolicy,
) -> Result<StoreConfig> {
    let layers: Vec<&StoreConfigLayer> = [Some(flags), Some(env), saved]
        .into_iter()
        .flatten()
        .collect();
    let first = |pick: fn(&StoreConfigLayer) -> Option<String>| layers.iter().find_map(|l| pick(l));

    let kind_layer = layers
        .iter()
        .position(|l| l.local == Some(true) || l.says_remote());
    let local = match kind_layer {
        None => true,
        Some(i) => layers[i].local == Some(true),
    };
    let region = first(|l| l.region.clone()).unwrap_or_else(|| DEFAULT_REGION.to_string());
    if local {
        return Ok(StoreConfig {
            bucket: LOCAL_BUCKET.to_string(),
            region,
            endpoint: None,
            path_style: true,
            credentials: StoreCredentials::Local,
            policy,
        });
    }

    // Skip the local-only layers: their remembered bucket or keys are not what was chosen.
    let remote: Vec<&StoreConfigLayer> = layers
        .iter()
        .copied()
        .filter(|l| l.local != Some(true))
        .collect();
    let first_remote =
        |pick: fn(&StoreConfigLayer) -> Option<String>| remote.iter().find_map(|l| pick(l));

    let bucket = first_remote(|l| l.bucket.clone()).ok_or_else(|| Error::InvalidStoreSettings {
        reason: "no bucket is set; choose one in the storage settings, or set S3_BUCKET_NAME"
            .into(),
    })?;
    let endpoint = first_remote(|l| l.endpoint.clone())
        .map(|e| normalize_endpoint(&e))
        .transpose()?;
    let path_style = remote
        .iter()
        .find_map(|l| l.path_style)
        // Custom endpoints (MinIO, Garage, moto, a LAN box) rarely have wildcard DNS.
        .unwrap_or(endpoint.is_some());
    let credentials = credentials_from(&remote)?;
    Ok(StoreConfig {
        bucket,
        region,
        endpoint,
        path_style,
        credentials,
        policy,
    })
}

fn credentials_from(layers: &[&StoreConfigLayer]) -> Result<StoreCredentials> {
    // A key pair is only used whole: the key ID and secret must come from the same layer.
    for layer in layers {
        match (&layer.access_key_id, &layer.secret_access_key) {
            (Some(_), Some(_)) if layer.has_session_token => {
                return Ok(StoreCredentials::AwsChain { profile: None })
            }
            (Some(id), Some(secret)) => {
                return Ok(StoreCredentials::Static {
                    access_key_id: id.clone(),
                    secret_access_key: secret.clone(),
                })
            }
            (Some(_), None) => {
                return Err(Error::InvalidStoreSettings {
                    reason: "an access key ID is set but its secret access key is not; set \
                             AWS_SECRET_ACCESS_KEY too, or enter both in Settings"
                        .into(),
                })
            }
            (None, Some(_)) => {
                return Err(Error::InvalidStoreSettings {
                    reason: "a secret access key is set but its access key ID is not; set \
                             AWS_ACCESS_KEY_ID too, or enter both in Settings"
                        .into(),
                })
            }
            (None, None) => {
                if let Some(profile) = &layer.profile {
                    return Ok(StoreCredentials::AwsChain {
                        profile: Some(profile.clone()),
                    });
                }
            }
        }
    }
    Ok(StoreCredentials::AwsChain { profile: None })
}

/// Whose projects to show when no `--user` is given: the OS user name, slugified
/// ("Jane Doe" → `jane-doe`), or `me` when it has nothing usable.
pub fn default_user(lookup: impl Fn(&str) -> Option<String>) -> UserId {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| lookup(name).and_then(|v| UserId::from_name(&v).ok()))
        .unwrap_or_else(|| {
            // A literal that the user ID rules accept; a unit test holds it to them.
            #[allow(clippy::expect_used)]
            let me = UserId::new("me").expect("“me” is a valid user ID");
            me
        })
}

/// Accepts `host:port` as well as full URLs, and refuses what the SDK would choke on later.
fn normalize_endpoint(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let invalid = |reason: &str| Error::InvalidStoreSettings {
        reason: format!("the endpoint URL “{raw}” {reason}"),
    };
    let (scheme, rest) = with_scheme
        .split_once("://")
        .ok_or_else(|| invalid("is not a URL"))?;
    if scheme != "http" && scheme != "https" {
        return Err(invalid("must start with http:// or https://"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(invalid("has no host name"));
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            return Err(invalid("has a port that is not a number from 1 to 65535"));
        }
    }
    Ok(with_scheme)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> StoreConfigLayer {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StoreConfigLayer::from_env(|name| map.get(name).cloned())
    }

    fn resolve(
        flags: StoreConfigLayer,
        env: StoreConfigLayer,
        saved: Option<StoreConfigLayer>,
    ) -> Result<StoreConfig> {
        resolve_store_config(&flags, &env, saved.as_ref(), ConnectionPolicy::default())
    }

    #[test]
    fn with_nothing_set_the_built_in_bucket_is_used() {
        let config = resolve(Default::default(), env(&[]), None).unwrap();
        assert!(config.is_local());
        assert_eq!(config.region, DEFAULT_REGION);
    }

    #[test]
    fn the_seed_environment_variables_pick_a_remote_bucket() {
        let config = resolve(
            Default::default(),
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "very-secret"),
                ("AWS_REGION", "eu-west-3"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
                ("S3_BUCKET_NAME", "projects-bucket"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(config.bucket, "projects-bucket");
        assert_eq!(config.region, "eu-west-3");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(config.path_style, "custom endpoints default to path style");
        match config.credentials {
            StoreCredentials::Static {
                access_key_id,
                secret_access_key,
            } => {
                assert_eq!(access_key_id, "AKIAEXAMPLE");
                assert_eq!(secret_access_key.expose_secret(), "very-secret");
            }
            other => panic!("expected static credentials, got {other:?}"),
        }
    }

    #[test]
    fn flags_beat_the_environment_which_beats_saved_settings() {
        let flags = StoreConfigLayer {
            bucket: Some("from-flag".into()),
            ..Default::default()
        };
        let saved = StoreConfigLayer {
            bucket: Some("from-settings".into()),
            region: Some("ap-south-1".into()),
            endpoint: Some("https://saved.example".into()),
            ..Default::default()
        };
        let config = resolve(
            flags,
            env(&[("S3_BUCKET_NAME", "from-env"), ("AWS_REGION", "eu-north-1")]),
            Some(saved),
        )
        .unwrap();
        assert_eq!(config.bucket, "from-flag");
        assert_eq!(config.region, "eu-north-1");
        assert_eq!(config.endpoint.as_deref(), Some("https://saved.example"));
    }

    #[test]
    fn the_local_flag_wins_over_an_environment_bucket() {
        let flags = StoreConfigLayer {
            local: Some(true),
            ..Default::default()
        };
        let config = resolve(flags, env(&[("S3_BUCKET_NAME", "remote")]), None).unwrap();
        assert!(config.is_local());
    }

    #[test]
    fn an_environment_bucket_wins_over_saved_local_storage() {
        let saved = StoreConfigLayer {
            local: Some(true),
            bucket: Some("remembered".into()),
            ..Default::default()
        };
        let config = resolve(
            Default::default(),
            env(&[("S3_BUCKET_NAME", "remote")]),
            Some(saved),
        )
        .unwrap();
        assert!(!config.is_local());
        assert_eq!(config.bucket, "remote");
        assert!(matches!(
            config.credentials,
            StoreCredentials::AwsChain { profile: None }
        ));
    }

    #[test]
    fn half_a_key_pair_is_refused_with_the_missing_half_named() {
        let err = resolve(
            Default::default(),
            env(&[("AWS_ACCESS_KEY_ID", "AKIA"), ("S3_BUCKET_NAME", "b")]),
            None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_store_settings");
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    }

    #[test]
    fn a_remote_choice_without_a_bucket_says_how_to_set_one() {
        let err = resolve(Default::default(), env(&[("AWS_PROFILE", "work")]), None).unwrap_err();
        assert!(err.to_string().contains("S3_BUCKET_NAME"), "{err}");
    }

    #[test]
    fn a_profile_selects_the_aws_chain_with_that_profile() {
        let config = resolve(
            Default::default(),
            env(&[("AWS_PROFILE", "work"), ("S3_BUCKET_NAME", "b")]),
            None,
        )
        .unwrap();
        match config.credentials {
            StoreCredentials::AwsChain { profile } => assert_eq!(profile.as_deref(), Some("work")),
            other => panic!("expected the AWS chain, got {other:?}"),
        }
        assert!(!config.path_style, "AWS itself uses virtual-hosted style");
    }

    #[test]
    fn temporary_credentials_go_through_the_aws_chain_so_the_token_is_used() {
        let config = resolve(
            Default::default(),
            env(&[
                ("AWS_ACCESS_KEY_ID", "ASIA"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
                ("AWS_SESSION_TOKEN", "t"),
                ("S3_BUCKET_NAME", "b"),
            ]),
            None,
        )
        .unwrap();
        assert!(matches!(
            config.credentials,
            StoreCredentials::AwsChain { profile: None }
        ));
    }

    #[test]
    fn endpoints_without_a_scheme_get_https_and_bad_ones_are_refused() {
        assert_eq!(
            normalize_endpoint("minio.lan:9000").unwrap(),
            "https://minio.lan:9000"
        );
        assert!(normalize_endpoint("ftp://x").is_err());
        assert!(normalize_endpoint("http://host:99999").is_err());
        assert!(normalize_endpoint("http://").is_err());
    }

    #[test]
    fn the_default_user_is_the_os_user_name_slugified() {
        let lookup = |name: &str| (name == "USERNAME").then(|| "Jane Doe".to_string());
        assert_eq!(default_user(lookup).as_str(), "jane-doe");
        // Other scripts are transliterated as project names are; only symbols fall back.
        assert_eq!(default_user(|_| Some("日本".into())).as_str(), "ri-ben");
        assert_eq!(default_user(|_| Some("🚀✨".into())).as_str(), "me");
        assert_eq!(default_user(|_| None).as_str(), "me");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let layer = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "hunter2"),
        ]);
        assert!(!format!("{layer:?}").contains("hunter2"));
        let config = resolve(
            Default::default(),
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIA"),
                ("AWS_SECRET_ACCESS_KEY", "hunter2"),
                ("S3_BUCKET_NAME", "b"),
            ]),
            None,
        )
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("AKIA"), "{debug}");
        assert!(serde_json::to_string(&layer)
            .unwrap()
            .find("hunter2")
            .is_none());
    }
}
