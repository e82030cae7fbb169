//! Updates through the app's commands, on the mock runtime with the real updater plugin: a
//! release server on 127.0.0.1 serves latest.json and a download signed by `tauri signer`
//! with a key pair made for the test; an AppImage-shaped file stands for the installed app.

use std::sync::Arc;

use bucketforge_app::updates::{Installed, Updates};
use bucketforge_app::AppState;
use bucketforge_engine::secrets::InMemorySecrets;
use bucketforge_engine::session::Overrides;
use bucketforge_engine::settings::SettingsFile;
use bucketforge_test_support::releases::{appimage_bytes, this_target, ReleaseServer, SigningKey};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

struct Rig {
    app: App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    /// Every message sent on a channel (the install's progress).
    channels: UnboundedReceiver<String>,
    dir: tempfile::TempDir,
}

impl Rig {
    /// The app installed as `installed`, trusting `key`.
    fn new(installed: impl FnOnce(&std::path::Path) -> Installed, key: &SigningKey) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::with(
            SettingsFile::in_dir(dir.path().join("config")),
            Arc::new(InMemorySecrets::default()),
            Overrides {
                local_dir: Some(dir.path().join("local-bucket")),
                ..Overrides::default()
            },
        );
        state.updates = Updates::for_tests(installed(dir.path()), key.public.clone());
        let (sender, channels) = unbounded_channel();
        let builder =
            mock_builder().channel_interceptor(move |_webview, _channel, _index, body| {
                let text = match body {
                    InvokeResponseBody::Json(json) => json.clone(),
                    InvokeResponseBody::Raw(raw) => String::from_utf8_lossy(raw).into_owned(),
                };
                sender.send(text).is_ok()
            });
        let app = bucketforge_app::setup(builder, state)
            .build(bucketforge_app::context())
            .expect("the app builds on the mock runtime");
        let main = match app.get_webview_window("main") {
            Some(w) => w,
            None => WebviewWindowBuilder::new(&app, "main", WebviewUrl::default())
                .build()
                .unwrap(),
        };
        Rig {
            app,
            main,
            channels,
            dir,
        }
    }

    /// An AppImage at `appimage` in the test's folder, holding the old version's bytes.
    fn appimage(dir: &std::path::Path) -> Installed {
        let path = dir.join("BucketForge.AppImage");
        std::fs::write(&path, installed_bytes()).unwrap();
        Installed::InPlace {
            executable: Some(path),
        }
    }

    fn appimage_path(&self) -> std::path::PathBuf {
        self.dir.path().join("BucketForge.AppImage")
    }

    /// The AppImage still holds the version installed before the test.
    fn assert_untouched(&self) {
        assert_eq!(
            std::fs::read(self.appimage_path()).unwrap(),
            installed_bytes()
        );
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: self.main.url().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.main, request).map(|body| match body {
            InvokeResponseBody::Json(json) => serde_json::from_str(&json).unwrap(),
            InvokeResponseBody::Raw(raw) => {
                panic!("unexpected raw response of {} bytes", raw.len())
            }
        })
    }

    fn check(&self, address: &str) -> Result<Value, Value> {
        self.invoke("update_check", json!({ "address": address }))
    }

    fn install(&self) -> Result<Value, Value> {
        self.invoke("update_install", json!({ "onProgress": "__CHANNEL__:7" }))
    }

    /// The version this build is.
    fn current(&self) -> String {
        self.app.package_info().version.to_string()
    }
}

/// What the AppImage holds before anything is installed.
fn installed_bytes() -> Vec<u8> {
    appimage_bytes("the installed version")
}

/// `[major, minor, patch]` of a plain version.
fn parts(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|part| part.parse().unwrap())
        .collect()
}

fn next_major(current: &str) -> String {
    format!("{}.0.0", parts(current)[0] + 1)
}

/// A release server announcing `version` for this machine, its download signed by `key` for
/// `signed_as`.
async fn release(key: &SigningKey, version: &str, signed_as: &str, bytes: &[u8]) -> ReleaseServer {
    let server = ReleaseServer::start().await;
    server.put("BucketForge.AppImage", bytes.to_vec());
    server.publish(
        version,
        &this_target(),
        "BucketForge.AppImage",
        &key.sign(bytes, signed_as),
    );
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_version_is_announced_then_downloaded_checked_and_installed_over_the_appimage() {
    let key = SigningKey::generate();
    let mut rig = Rig::new(Rig::appimage, &key);
    let version = next_major(&rig.current());
    let new_bytes = appimage_bytes(&format!("version {version}"));
    let server = release(&key, &version, &version, &new_bytes).await;

    let check = rig.check(&server.url("latest.json")).unwrap();
    assert_eq!(check["current_version"], rig.current());
    assert_eq!(check["address"], server.url("latest.json"));
    assert_eq!(check["available"]["version"], version);
    assert_eq!(
        check["available"]["notes"],
        format!("What is new in {version}.")
    );
    assert_eq!(check["available"]["published"], "2026-12-01T09:30:00Z");
    assert_eq!(check["available"]["install"], json!({ "kind": "in_place" }));
    // Checking downloads nothing.
    assert_eq!(server.requests(), vec!["latest.json"]);
    rig.assert_untouched();

    assert_eq!(rig.install(), Ok(json!(version)));
    assert_eq!(std::fs::read(rig.appimage_path()).unwrap(), new_bytes);
    assert_eq!(
        server.requests(),
        vec!["latest.json", "BucketForge.AppImage"]
    );
    let mut progress = Vec::new();
    while let Ok(message) = rig.channels.try_recv() {
        progress.push(serde_json::from_str::<Value>(&message).unwrap());
    }
    assert_eq!(
        progress.last(),
        Some(&json!({ "downloaded": new_bytes.len(), "total": new_bytes.len() })),
        "{progress:?}"
    );

    // Installed: there is nothing left to install until the next check.
    assert_eq!(rig.install().unwrap_err()["code"], "update_not_checked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_does_not_match_its_signature_is_refused_and_the_app_is_untouched() {
    let key = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &key);
    let version = next_major(&rig.current());
    let signed = appimage_bytes("what was signed");
    let server = release(&key, &version, &version, &signed).await;
    // The file on the server changed after it was signed.
    server.put("BucketForge.AppImage", appimage_bytes("something else"));

    assert_eq!(
        rig.check(&server.url("latest.json")).unwrap()["available"]["version"],
        version
    );
    let refused = rig.install().unwrap_err();
    assert_eq!(refused["code"], "update_signature_invalid", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains(&format!("version {version}")), "{message}");
    assert!(message.contains("does not match the file"), "{message}");
    assert!(message.contains("nothing changed"), "{message}");
    rig.assert_untouched();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_signed_by_another_key_is_refused() {
    let trusted = SigningKey::generate();
    let other = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &trusted);
    let version = next_major(&rig.current());
    let server = release(&other, &version, &version, &appimage_bytes("new")).await;

    rig.check(&server.url("latest.json")).unwrap();
    assert_eq!(
        rig.install().unwrap_err()["code"],
        "update_signature_invalid"
    );
    rig.assert_untouched();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_description_announcing_another_version_than_the_one_signed_is_refused() {
    let key = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &key);
    let current = parts(&rig.current());
    let announced = next_major(&rig.current());
    let signed_as = format!("{}.{}.{}", current[0], current[1], current[2] + 1);
    let server = release(&key, &announced, &signed_as, &appimage_bytes("older")).await;

    rig.check(&server.url("latest.json")).unwrap();
    let refused = rig.install().unwrap_err();
    assert_eq!(refused["code"], "update_signature_invalid");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains(&format!("signed as version {signed_as}")),
        "{refused}"
    );
    rig.assert_untouched();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_newest_version_has_nothing_to_install() {
    let key = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &key);
    let current = rig.current();
    let server = release(&key, &current, &current, &appimage_bytes("same")).await;

    let check = rig.check(&server.url("latest.json")).unwrap();
    assert_eq!(check["available"], Value::Null);
    assert_eq!(rig.install().unwrap_err()["code"], "update_not_checked");
    assert_eq!(server.requests(), vec!["latest.json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_install_is_pointed_at_the_new_installer_and_never_replaced() {
    let key = SigningKey::generate();
    let rig = Rig::new(|_| Installed::Package("deb"), &key);
    let version = next_major(&rig.current());
    let server = release(&key, &version, &version, &appimage_bytes("new")).await;

    let check = rig.check(&server.url("latest.json")).unwrap();
    assert_eq!(
        check["available"]["install"],
        json!({ "kind": "download", "url": server.url("BucketForge.AppImage"), "package": "deb" })
    );
    let refused = rig.install().unwrap_err();
    assert_eq!(refused["code"], "update_install_failed");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains(".deb package"),
        "{refused}"
    );
    assert_eq!(
        server.requests(),
        vec!["latest.json"],
        "nothing was downloaded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_server_at_the_address_is_a_clear_error_and_a_wrong_one_another() {
    let key = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &key);

    // A port nothing listens on.
    let port = bucketforge_test_support::processes::free_port().unwrap();
    let address = format!("http://127.0.0.1:{port}/latest.json");
    let unreachable = rig.check(&address).unwrap_err();
    assert_eq!(unreachable["code"], "update_unreachable", "{unreachable}");
    assert!(
        unreachable["message"].as_str().unwrap().contains(&address),
        "{unreachable}"
    );
    assert_eq!(unreachable["fix_in"], "none");

    // A server that has no latest.json, and one whose latest.json is no release.
    let server = ReleaseServer::start().await;
    let missing = rig.check(&server.url("latest.json")).unwrap_err();
    assert_eq!(missing["code"], "update_unreadable", "{missing}");
    assert_eq!(missing["fix_in"], "settings");
    server.put("latest.json", r#"{"name": "not a release"}"#);
    assert_eq!(
        rig.check(&server.url("latest.json")).unwrap_err()["code"],
        "update_unreadable"
    );
    // A release with no download for this machine.
    server.publish(&next_major(&rig.current()), "plan9-mips", "x", "y");
    let elsewhere = rig.check(&server.url("latest.json")).unwrap_err();
    assert_eq!(elsewhere["code"], "update_unreadable");
    assert!(
        elsewhere["message"]
            .as_str()
            .unwrap()
            .contains(&this_target()),
        "{elsewhere}"
    );

    // Plain http to another computer is refused before any request.
    let refused = rig
        .check("http://updates.example.com/latest.json")
        .unwrap_err();
    assert_eq!(refused["code"], "update_address_invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_saved_address_is_used_when_the_window_names_none() {
    let key = SigningKey::generate();
    let rig = Rig::new(Rig::appimage, &key);
    let version = next_major(&rig.current());
    let server = release(&key, &version, &version, &appimage_bytes("new")).await;
    let mut settings = bucketforge_engine::settings::Settings::default();
    settings.updates.address = server.url("latest.json");
    rig.invoke(
        "settings_save_all",
        json!({ "settings": settings, "secrets": [] }),
    )
    .unwrap();

    let check = rig.invoke("update_check", json!({})).unwrap();
    assert_eq!(check["available"]["version"], version);
    assert_eq!(server.requests(), vec!["latest.json"]);
}
