//! The OS keyring for real: Secret Service (gnome-keyring) under the test command's D-Bus session.

use bucketforge_engine::secrets::{KeyringStore, SecretName, SecretStore};
use secrecy::{ExposeSecret, SecretString};
use tokio::process::Command;

/// A service name of this run only, so the user's real BucketForge entries are never touched.
fn test_service() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("bucketforge-test-{}-{nanos}", std::process::id())
}

/// Reads the item straight from the Secret Service with libsecret's own tool, bypassing the
/// keyring crate and its kernel-keyring cache.
async fn secret_tool_lookup(service: &str, name: &SecretName) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", name.as_str()])
        .output()
        .await
        .expect("secret-tool runs (Debian package libsecret-tools; scripts/test.sh installs it)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// Secret Service implementations handle concurrent clients poorly: one test at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn require_session() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the keyring tests need a D-Bus session with an unlocked gnome-keyring: run scripts/test.sh"
    );
}

#[tokio::test]
async fn secrets_round_trip_through_the_secret_service() {
    let _one = ONE_AT_A_TIME.lock().await;
    require_session();
    let service = test_service();
    let name = SecretName::llm_api_key("openai");
    let first = SecretString::from("sk-test-first-3f9a1c");
    let second = SecretString::from("sk-test-second-77b2e0");

    KeyringStore::with_service(&service)
        .set(&name, &first)
        .await
        .unwrap();

    // A new store instance reads what the first one saved.
    let reader = KeyringStore::with_service(&service);
    let loaded = reader
        .get(&name)
        .await
        .unwrap()
        .expect("the secret is there");
    assert_eq!(loaded.expose_secret(), first.expose_secret());
    assert_eq!(
        secret_tool_lookup(&service, &name).await.as_deref(),
        Some(first.expose_secret())
    );

    reader.set(&name, &second).await.unwrap();
    let replaced = KeyringStore::with_service(&service)
        .get(&name)
        .await
        .unwrap();
    assert_eq!(replaced.unwrap().expose_secret(), second.expose_secret());
    assert_eq!(
        secret_tool_lookup(&service, &name).await.as_deref(),
        Some(second.expose_secret())
    );

    reader.delete(&name).await.unwrap();
    assert!(KeyringStore::with_service(&service)
        .get(&name)
        .await
        .unwrap()
        .is_none());
    assert!(!reader.is_set(&name).await.unwrap());
    assert_eq!(secret_tool_lookup(&service, &name).await, None);

    // Deleting again is not an error: "remove" in the UI must be safe to click twice.
    reader.delete(&name).await.unwrap();
}

#[tokio::test]
async fn entries_for_different_secrets_do_not_overwrite_each_other() {
    let _one = ONE_AT_A_TIME.lock().await;
    require_session();
    let service = test_service();
    let store = KeyringStore::with_service(&service);
    let s3 = SecretName::storage_secret_key("default");
    let llm = SecretName::llm_api_key("anthropic");
    store
        .set(&s3, &SecretString::from("s3-secret-a1"))
        .await
        .unwrap();
    store
        .set(&llm, &SecretString::from("anthropic-key-b2"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&s3).await.unwrap().unwrap().expose_secret(),
        "s3-secret-a1"
    );
    assert_eq!(
        store.get(&llm).await.unwrap().unwrap().expose_secret(),
        "anthropic-key-b2"
    );
    store.delete(&s3).await.unwrap();
    store.delete(&llm).await.unwrap();
}
