//! With no Secret Service on the bus, the user gets the clear error, never a silent fallback.
//! A test binary of its own: it points this whole process at a D-Bus address where nothing runs.

use bucketforge_engine::secrets::{KeyringStore, SecretName, SecretStore};
use secrecy::SecretString;

#[tokio::test]
async fn no_keyring_gives_the_clear_error_and_stores_nothing() {
    let dir = std::env::temp_dir().join(format!("bf-no-bus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", dir.join("no-bus-here").display()),
    );
    let store = KeyringStore::with_service("bucketforge-test-no-keyring");
    let name = SecretName::llm_api_key("openai");

    let err = store
        .set(&name, &SecretString::from("sk-never-stored"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "keyring_unavailable", "{err}");
    assert_eq!(
        err.to_string(),
        "No system keyring is available: unlock or install GNOME Keyring / KWallet"
    );
    let read = store.get(&name).await.unwrap_err();
    assert_eq!(read.code(), "keyring_unavailable");
    std::fs::remove_dir_all(&dir).unwrap();
}
