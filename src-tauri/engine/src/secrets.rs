//! Secrets (S3 secret keys, LLM API keys) live only in the OS keyring, behind `SecretStore`.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::sync::lock;
use crate::{Error, Result};

/// The keyring service every BucketForge entry is filed under.
pub const KEYRING_SERVICE: &str = "bucketforge";

/// The shortest value treated as a secret when scrubbing text. A shorter one (a key half typed
/// into Settings) would match ordinary words and wreck every message; no real key is this short.
pub const MIN_SECRET_LEN: usize = 8;

/// Characters a URL or form body carries as they are (RFC 3986's unreserved set).
const URL_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The ways a secret is commonly written out as text: as it is, base64 (standard and URL-safe,
/// with and without padding), percent-encoded, and escaped in JSON or Rust's debug form; longest
/// first, so a form that contains another is replaced whole. Empty for a value shorter than
/// [`MIN_SECRET_LEN`], which is not a secret yet.
pub fn text_forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    if secret.len() < MIN_SECRET_LEN {
        return Vec::new();
    }
    let quoted = |s: String| s[1..s.len() - 1].to_string();
    let mut forms = vec![
        secret.to_string(),
        STANDARD.encode(secret),
        URL_SAFE.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        percent_encoding::utf8_percent_encode(secret, URL_UNRESERVED).to_string(),
        quoted(format!("{secret:?}")),
    ];
    if let Ok(json) = serde_json::to_string(secret) {
        forms.push(quoted(json));
    }
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

/// `text` with every written form of `secret` (see [`text_forms`]) replaced by `with`.
pub fn replace_forms(secret: &str, text: &str, with: &str) -> String {
    text_forms(secret)
        .iter()
        .fold(text.to_string(), |text, form| {
            text.replace(form.as_str(), with)
        })
}

/// How long a keyring call may take. A locked keyring shows an unlock window and waits for
/// the user; without this, a prompt nobody sees would hang Settings forever.
const KEYRING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Which secret: one keyring entry each. The entry name never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretName(String);

impl SecretName {
    /// The S3 secret access key of one storage profile.
    pub fn storage_secret_key(profile: &str) -> Self {
        Self(format!("s3-secret-key/{profile}"))
    }

    /// The API key of one LLM provider (by its settings id, e.g. `openai`).
    pub fn llm_api_key(provider: &str) -> Self {
        Self(format!("llm-api-key/{provider}"))
    }

    /// The name as stored in the keyring's `username` attribute.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where secrets are kept. The only production implementation is the OS keyring.
#[async_trait]
pub trait SecretStore: Send + Sync {
    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>>;
    async fn set(&self, name: &SecretName, value: &SecretString) -> Result<()>;
    /// Removes the secret; removing one that is not there is not an error.
    async fn delete(&self, name: &SecretName) -> Result<()>;

    async fn is_set(&self, name: &SecretName) -> Result<bool> {
        Ok(self.get(name).await?.is_some())
    }
}

/// The OS keyring: Secret Service (GNOME Keyring, KWallet) on Linux, Keychain on macOS,
/// Credential Manager on Windows.
///
/// Keyring calls block, so they run on tokio's blocking pool, one at a time: Secret Service
/// implementations handle concurrent unlock prompts and item creation poorly.
#[derive(Clone)]
pub struct KeyringStore {
    service: String,
    serial: Arc<Mutex<()>>,
}

impl KeyringStore {
    pub fn new() -> Self {
        Self::with_service(KEYRING_SERVICE)
    }

    /// A store under another service name, so tests never touch the user's real entries.
    pub fn with_service(service: &str) -> Self {
        Self {
            service: service.to_string(),
            serial: Arc::new(Mutex::new(())),
        }
    }

    async fn run<T, F>(&self, name: &SecretName, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    {
        let serial = Arc::clone(&self.serial);
        let service = self.service.clone();
        let entry_name = name.clone();
        let call = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = lock(&serial);
            let entry = keyring::Entry::new(&service, entry_name.as_str())?;
            op(&entry)
        });
        let outcome = tokio::time::timeout(KEYRING_PATIENCE, call)
            .await
            .map_err(|_| Error::KeyringNoAnswer)?
            .map_err(|_| Error::Keyring {
                name: name.to_string(),
                detail: "the keyring call stopped unexpectedly".into(),
            })?;
        outcome.map_err(|e| keyring_error(name, e))
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Keyutils cannot hold an empty value, and an empty key is always a mistake.
fn refuse_empty(name: &SecretName, value: &SecretString) -> Result<()> {
    if value.expose_secret().trim().is_empty() {
        return Err(Error::EmptySecret {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Keyring errors in words; none of them carries the secret itself.
fn keyring_error(name: &SecretName, e: keyring::Error) -> Error {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            Error::KeyringUnavailable
        }
        keyring::Error::TooLong(..) => Error::Keyring {
            name: name.to_string(),
            detail: "the value is too long for the system keyring".into(),
        },
        keyring::Error::BadEncoding(_) => Error::Keyring {
            name: name.to_string(),
            detail: "the stored value is not text; save it again".into(),
        },
        keyring::Error::Ambiguous(_) => Error::Keyring {
            name: name.to_string(),
            detail: "the keyring holds several entries with this name; remove the extra ones in your keyring app".into(),
        },
        other => Error::Keyring {
            name: name.to_string(),
            detail: other.to_string(),
        },
    }
}

#[async_trait]
impl SecretStore for KeyringStore {
    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>> {
        self.run(name, |entry| match entry.get_password() {
            Ok(value) => Ok(Some(SecretString::from(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn set(&self, name: &SecretName, value: &SecretString) -> Result<()> {
        refuse_empty(name, value)?;
        let value = value.clone();
        self.run(name, move |entry| entry.set_password(value.expose_secret()))
            .await
    }

    async fn delete(&self, name: &SecretName) -> Result<()> {
        self.run(name, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
        .await
    }
}

/// A process-local store for unit tests of logic that needs some `SecretStore`.
/// Never chosen at run time: the app and the CLI only ever build a [`KeyringStore`].
#[cfg(any(test, feature = "test-support"))]
#[derive(Default)]
pub struct InMemorySecrets(Mutex<std::collections::BTreeMap<SecretName, SecretString>>);

#[cfg(any(test, feature = "test-support"))]
#[async_trait]
impl SecretStore for InMemorySecrets {
    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>> {
        Ok(lock(&self.0).get(name).cloned())
    }

    async fn set(&self, name: &SecretName, value: &SecretString) -> Result<()> {
        refuse_empty(name, value)?;
        lock(&self.0).insert(name.clone(), value.clone());
        Ok(())
    }

    async fn delete(&self, name: &SecretName) -> Result<()> {
        lock(&self.0).remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_say_what_the_secret_is_for() {
        assert_eq!(
            SecretName::storage_secret_key("default").as_str(),
            "s3-secret-key/default"
        );
        assert_eq!(
            SecretName::llm_api_key("anthropic").as_str(),
            "llm-api-key/anthropic"
        );
    }

    #[test]
    fn unavailable_keyrings_get_the_message_that_says_what_to_do() {
        let e = keyring_error(
            &SecretName::llm_api_key("openai"),
            keyring::Error::NoStorageAccess("org.freedesktop.DBus.Error.ServiceUnknown".into()),
        );
        assert_eq!(e.code(), "keyring_unavailable");
        assert_eq!(
            e.to_string(),
            "No system keyring is available: unlock or install GNOME Keyring / KWallet"
        );
    }

    #[tokio::test]
    async fn empty_secrets_are_refused_before_the_keyring_is_touched() {
        // A service name that exists nowhere: the refusal must come before any keyring call.
        let store = KeyringStore::with_service("bucketforge-unit-test-never-written");
        let err = store
            .set(
                &SecretName::llm_api_key("openai"),
                &SecretString::from("  "),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "empty_secret");
    }
}
