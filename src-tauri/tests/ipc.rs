//! The shell's IPC, driven through a mock runtime with the app's real permissions.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bucketforge_app::command_list::{COMMANDS, TEST_HOOK_COMMANDS};
use bucketforge_app::updates::{Installed, Updates};
use bucketforge_app::AppState;
use bucketforge_engine::secrets::{InMemorySecrets, KeyringStore, SecretName, SecretStore};
use bucketforge_engine::session::Overrides;
use bucketforge_engine::settings::SettingsFile;
use bucketforge_scripted_llm::{Reply, ScriptedLlm};
use bucketforge_test_support::counter::{self, FILES};
use bucketforge_test_support::processes::random_hex;
use bucketforge_test_support::releases::{appimage_bytes, this_target, ReleaseServer, SigningKey};
use bucketforge_test_support::sweep::SecretSweep;
use bucketforge_test_support::{self as support, unique_user};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Long enough to mean "hung" on a busy two-core machine; never the figure a test is about.
const HANG: Duration = Duration::from_secs(120);

/// One message a command sent on a channel: the channel's ID and the message's JSON.
type ChannelMessage = (u32, String);

struct Rig {
    app: App<MockRuntime>,
    /// Every message commands sent on their channels, in order.
    channels: UnboundedReceiver<ChannelMessage>,
    dir: tempfile::TempDir,
}

fn rig_with(secrets: Arc<dyn SecretStore>, updates: Updates) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let mut state = AppState::with(
        SettingsFile::in_dir(dir.path().join("config")),
        secrets,
        Overrides {
            local_dir: Some(dir.path().join("local-bucket")),
            ..Overrides::default()
        },
    );
    state.updates = updates;
    // The mock runtime has no page to hand channel messages to: the test takes them instead.
    let (sender, channels) = unbounded_channel();
    let builder = mock_builder().channel_interceptor(move |_webview, channel, _index, body| {
        let text = match body {
            InvokeResponseBody::Json(json) => json.clone(),
            InvokeResponseBody::Raw(raw) => String::from_utf8_lossy(raw).into_owned(),
        };
        sender.send((channel.0, text)).is_ok()
    });
    let app = bucketforge_app::setup(builder, state)
        .build(bucketforge_app::context())
        .expect("the app builds on the mock runtime");
    Rig { app, channels, dir }
}

/// The app with its secrets in memory, for tests that save none.
fn rig() -> Rig {
    rig_with(Arc::new(InMemorySecrets::default()), Updates::default())
}

fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    match app.get_webview_window(label) {
        Some(w) => w,
        None => WebviewWindowBuilder::new(app, label, WebviewUrl::default())
            .build()
            .expect("a mock window opens"),
    }
}

fn request(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The page the window really shows, so the origin check is the one the app makes.
        url: window.url().expect("the window has a URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(window, request(window, cmd, args)).map(|body| match body {
        InvokeResponseBody::Json(json) => serde_json::from_str(&json).unwrap(),
        InvokeResponseBody::Raw(raw) => panic!("unexpected raw response of {} bytes", raw.len()),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_main_window_reads_the_version_through_ipc() {
    let rig = rig();
    let main = window(&rig.app, "main");
    assert_eq!(
        invoke(&main, "version", json!({})),
        Ok(json!(bucketforge_engine::VERSION))
    );
}

/// Tauri's refusal of `cmd` from window `label` showing `url`: the command is granted (by the
/// capability `main-window`) to the main window's local pages only.
fn acl_refusal(cmd: &str, label: &str, url: &str) -> Value {
    json!(format!(
        "{cmd} not allowed on window \"{label}\", webview \"{label}\", URL: {url}\n\n\
         allowed on: [windows: \"main\", URL: local]\n\n\
         referenced by: capability: main-window, permission: allow-{}",
        cmd.replace('_', "-")
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_without_a_capability_is_refused_and_runs_nothing() {
    let rig = rig();
    let main = window(&rig.app, "main");
    let before = invoke(&main, "ipc_calls", json!({})).unwrap();
    let other = window(&rig.app, "other");
    for cmd in ["version", "project_delete", "settings_get"] {
        let refused = invoke(&other, cmd, json!({"slug": "x", "force": true}))
            .expect_err("an ungranted window must be refused");
        assert_eq!(refused, acl_refusal(cmd, "other", "local"));
    }
    let after = invoke(&main, "ipc_calls", json!({})).unwrap();
    // Only the main window's own `ipc_calls` ran in between.
    let mut expected = before.clone();
    expected["ipc_calls"] = json!(before["ipc_calls"].as_u64().unwrap_or(0) + 1);
    assert_eq!(after, expected);
    assert_eq!(after.get("project_delete"), None);
}

/// Each listed command is granted to the main window and has a handler: with no arguments it
/// may fail on them, but never as "not allowed" or "not found".
#[tokio::test(flavor = "multi_thread")]
async fn the_main_window_reaches_every_listed_command() {
    let rig = rig();
    let main = window(&rig.app, "main");
    for cmd in COMMANDS.iter().chain(TEST_HOOK_COMMANDS) {
        if let Err(refused) = invoke(&main, cmd, json!({})) {
            let refused = refused.to_string();
            assert!(
                !refused.contains("not allowed")
                    && !refused.contains(&format!("Command {cmd} not found")),
                "{cmd}: {refused}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_that_does_not_exist_is_refused() {
    let rig = rig();
    let main = window(&rig.app, "main");
    assert_eq!(
        invoke(&main, "read_secret", json!({})),
        Err(json!("read_secret not allowed. Command not found"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_page_in_the_main_window_is_refused() {
    let rig = rig();
    let main = window(&rig.app, "main");
    let mut remote = request(&main, "version", json!({}));
    remote.url = "https://attacker.example/".parse().unwrap();
    assert_eq!(
        get_ipc_response(&main, remote).map(|_| ()),
        Err(acl_refusal("version", "main", "https://attacker.example/"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn command_errors_arrive_as_code_and_message() {
    let rig = rig();
    let main = window(&rig.app, "main");
    let err = invoke(&main, "project_get", json!({"slug": "   "})).unwrap_err();
    assert_eq!(err["code"], "invalid_name");
    assert!(err["message"].as_str().unwrap().contains("empty"), "{err}");
    // A name is looked up by the short name it makes, and said so when it is not there.
    let err = invoke(&main, "project_get", json!({"slug": "Not A Slug"})).unwrap_err();
    assert_eq!(err["code"], "project_not_found");
    assert!(
        err["message"].as_str().unwrap().contains("not-a-slug"),
        "{err}"
    );
}

/// The window's project commands resolve what the user typed as the command line does.
#[tokio::test(flavor = "multi_thread")]
async fn window_commands_find_a_project_by_the_name_typed() {
    let rig = rig();
    let main = window(&rig.app, "main");
    let session = std::sync::Arc::clone(&rig.app.state::<AppState>().session);
    let key = session.project_key("my-app").unwrap();
    let readme = bucketforge_engine::store::ProjectPath::new("README.md").unwrap();
    session
        .store()
        .await
        .unwrap()
        .put_file(&key, &readme, "# My App\n")
        .await
        .unwrap();

    for typed in ["My App", "my-app", "  MY APP "] {
        let details = invoke(&main, "project_get", json!({ "slug": typed })).unwrap();
        assert_eq!(details["slug"], "my-app", "{typed}");
    }
    let file = invoke(
        &main,
        "project_file",
        json!({ "slug": "My App", "path": "README.md" }),
    )
    .unwrap();
    assert_eq!(file["text"], "# My App\n");
    let url = invoke(&main, "preview_url", json!({ "slug": "My App" })).unwrap();
    assert!(url.as_str().unwrap().ends_with("/my-app/"), "{url}");
    let link = invoke(
        &main,
        "project_share_link",
        json!({ "slug": "My App", "path": "README.md", "expiresInSecs": 60 }),
    )
    .unwrap();
    assert!(link["url"].as_str().unwrap().contains("my-app"), "{link}");
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("my-app.zip");
    let export = invoke(
        &main,
        "project_export",
        json!({ "slug": "My App", "out": zip, "partial": true }),
    )
    .unwrap();
    assert_eq!(export["files"], 1);
    let deleted = invoke(
        &main,
        "project_delete",
        json!({ "slug": "My App", "force": false }),
    )
    .unwrap();
    assert_eq!(deleted, 1);
    let gone = invoke(&main, "project_get", json!({ "slug": "my-app" })).unwrap_err();
    assert_eq!(gone["code"], "project_not_found");
}

// ---------------------------------------------------------------- the secret sweep

/// Everything one window said and heard: each command's answer and each channel message, for
/// the secret sweep.
struct Transcript {
    main: WebviewWindow<MockRuntime>,
    answers: Vec<(String, String)>,
    messages: Vec<ChannelMessage>,
}

impl Transcript {
    /// Calls `cmd`, which must succeed, and returns its answer.
    fn ok(&mut self, cmd: &str, args: Value) -> Value {
        let answer = invoke(&self.main, cmd, args);
        let text = match &answer {
            Ok(v) | Err(v) => v.to_string(),
        };
        self.answers.push((cmd.to_string(), text));
        answer.unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Reads channel `id` until its run's final event, which is returned with the ones before.
    async fn run_events(&mut self, rig: &mut Rig, id: u32) -> Vec<Value> {
        let mut events = Vec::new();
        self.until(rig, id, |event| {
            events.push(event.clone());
            matches!(
                event["type"].as_str(),
                Some("finished" | "failed" | "cancelled")
            )
        })
        .await;
        events
    }

    /// Reads every channel, keeping each message, until `wanted` says enough of channel `id`
    /// was seen.
    async fn until(&mut self, rig: &mut Rig, id: u32, mut wanted: impl FnMut(&Value) -> bool) {
        loop {
            let (channel, text) = tokio::time::timeout(HANG, rig.channels.recv())
                .await
                .unwrap_or_else(|_| panic!("channel {id} went quiet"))
                .expect("the app keeps its channels");
            self.messages.push((channel, text.clone()));
            if channel == id && wanted(&serde_json::from_str(&text).unwrap()) {
                return;
            }
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

fn paths_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a str> {
    let mut paths: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == kind)
        .filter_map(|e| e["path"].as_str())
        .collect();
    paths.sort();
    paths
}

/// What the Secret Service itself holds for `name`, read with libsecret's own tool.
fn keyring_holds(service: &str, name: &SecretName) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", name.as_str()])
        .output()
        .expect("secret-tool runs (Debian package libsecret-tools; scripts/test.sh installs it)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// Calls every registered command (command_list.rs lists them) through the window, against the real
/// keyring, Garage and the scripted LLM server, so each one succeeds; reads the generate and
/// resume channels to the end of their runs; then looks for every saved secret, in every
/// encoding a leak could take, in every answer, every event and every file the app wrote.
#[tokio::test(flavor = "multi_thread")]
async fn no_command_ever_returns_a_secret() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test saves secrets in the real Secret Service: run it inside \
         `dbus-run-session -- bash scripts/with-keyring.sh cargo test ...`"
    );
    let service = format!("bucketforge-ipc-test-{}", random_hex(6));
    // A newer release, signed with a key made for this test, to install over an AppImage.
    let release_key = SigningKey::generate();
    let releases = ReleaseServer::start().await;
    let installed_app = tempfile::tempdir().unwrap();
    let appimage = installed_app.path().join("BucketForge.AppImage");
    std::fs::write(&appimage, appimage_bytes("installed")).unwrap();
    let mut rig = rig_with(
        Arc::new(KeyringStore::with_service(&service)),
        Updates::for_tests(
            Installed::InPlace {
                executable: Some(appimage.clone()),
            },
            release_key.public.clone(),
        ),
    );
    let new_version = "999.0.0";
    let new_app = appimage_bytes(new_version);
    releases.put("BucketForge.AppImage", new_app.clone());
    releases.publish(
        new_version,
        &this_target(),
        "BucketForge.AppImage",
        &release_key.sign(&new_app, new_version),
    );
    let garage = support::garage();
    let llm_key = format!("sk-{}", random_hex(16));
    let unused_key = format!("sk-ant-{}", random_hex(16));
    let fast = |_: &str, content: &str| Reply::text(content).chunk_chars(16);
    let llm = ScriptedLlm::start(
        counter::script(&llm_key, counter::NAME, fast).models(["gpt-4o-mini", "gpt-4o"]),
    )
    .await
    .unwrap();
    let user = unique_user("ipc");
    let sweep = SecretSweep::new([&garage.secret_access_key, &llm_key, &unused_key]);
    let mut t = Transcript {
        main: window(&rig.app, "main"),
        answers: Vec::new(),
        messages: Vec::new(),
    };

    // Settings that point at Garage and the scripted server; the secrets go to the keyring.
    let settings = json!({
        "schema_version": 1,
        "storage": { "kind": "s3-compatible", "bucket": garage.bucket, "region": garage.region,
                     "endpoint": garage.endpoint, "path_style": true,
                     "access_key_id": garage.access_key_id, "aws_profile": "", "preset": null },
        "user_id": user.as_str(),
        "llm": { "provider": "openai", "model": "gpt-4o-mini", "base_url": llm.openai_base_url() },
        "concurrency": 6, "onboarded": true,
        "updates": { "check_at_start": true, "address": releases.url("latest.json") }
    });
    assert_eq!(t.ok("settings_get", json!({}))["first_run"], true);
    let storage_slot = json!({ "kind": "storage_secret_key" });
    let openai_slot = json!({ "kind": "llm_api_key", "provider": "openai" });
    let anthropic_slot = json!({ "kind": "llm_api_key", "provider": "anthropic" });
    let with_three = t.ok(
        "settings_save_all",
        json!({ "settings": settings, "secrets": [
            { "slot": storage_slot, "value": garage.secret_access_key },
            { "slot": openai_slot, "value": llm_key },
            { "slot": anthropic_slot, "value": unused_key },
        ] }),
    );
    assert_eq!(with_three["settings"], settings);
    assert_eq!(with_three["first_run"], false);
    assert_eq!(with_three["secrets"]["storage_secret_key"], true);
    assert_eq!(
        with_three["secrets"]["llm_api_keys"],
        json!(["openai", "anthropic"])
    );
    let anthropic = SecretName::llm_api_key("anthropic");
    assert_eq!(
        keyring_holds(&service, &anthropic),
        Some(unused_key.clone())
    );
    let with_two = t.ok("secret_delete", json!({ "slot": anthropic_slot }));
    assert_eq!(with_two["secrets"]["llm_api_keys"], json!(["openai"]));
    assert_eq!(keyring_holds(&service, &anthropic), None);
    assert_eq!(
        keyring_holds(&service, &SecretName::llm_api_key("openai")),
        Some(llm_key.clone()),
        "the key is in the Secret Service itself"
    );

    assert_eq!(
        t.ok("version", json!({})),
        json!(bucketforge_engine::VERSION)
    );
    let diagnostics = t.ok("diagnostics", json!({}));
    assert!(
        diagnostics
            .as_str()
            .unwrap()
            .contains(bucketforge_engine::VERSION),
        "{diagnostics}"
    );
    t.ok("ipc_calls", json!({}));
    // The saved update address announces the new version; installing it replaces the AppImage.
    assert_eq!(
        t.ok("update_check", json!({}))["available"]["version"],
        new_version
    );
    assert_eq!(
        t.ok("update_install", json!({ "onProgress": "__CHANNEL__:100" })),
        json!(new_version)
    );
    assert_eq!(std::fs::read(&appimage).unwrap(), new_app);
    assert!(t.ok("providers_list", json!({})).as_array().unwrap().len() > 1);
    assert!(!t
        .ok("storage_presets", json!({}))
        .as_array()
        .unwrap()
        .is_empty());
    // Garage checks signatures: these succeed only with the secret from the keyring.
    t.ok("storage_check", json!({}));
    let team = t.ok(
        "team_policy",
        json!({ "user": "sam", "bucket": "class-bucket" }),
    );
    assert_eq!(team["prefix"], "projects/sam/", "{team}");
    assert!(
        team["policy"]
            .as_str()
            .unwrap()
            .contains("arn:aws:s3:::class-bucket/projects/sam/*"),
        "{team}"
    );
    // The scripted server answers only its key: these succeed only with the saved one...
    assert_eq!(t.ok("llm_check", json!({}))["model"], "gpt-4o-mini");
    let models = t.ok(
        "llm_models",
        json!({ "provider": "openai", "baseUrl": null, "apiKey": null }),
    );
    assert_eq!(models.as_array().unwrap().len(), 2, "{models}");
    // ...or with the key typed beside the address.
    let typed_args =
        json!({ "provider": "openai", "baseUrl": llm.openai_base_url(), "apiKey": llm_key });
    // The sweep is live: it sees the key where the test itself put it.
    assert!(sweep.find(typed_args.to_string().as_bytes()).is_some());
    let typed = t.ok("llm_models", typed_args);
    assert_eq!(typed, models);
    t.ok("ollama_detect", json!({}));

    // A whole run, read from its channel to the end.
    let request = json!({ "idea": "A button that counts how often I click it", "name": null, "stack": "react" });
    let run_id = t.ok(
        "generate",
        json!({ "request": request, "onEvent": "__CHANNEL__:101" }),
    );
    assert!(run_id.as_str().unwrap().starts_with("run-"), "{run_id}");
    let events = t.run_events(&mut rig, 101).await;
    assert_eq!(types(&events).first(), Some(&"planning"));
    assert_eq!(
        events.last().unwrap()["type"],
        "finished",
        "the run succeeds: {events:?}"
    );
    let mut written: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    written.sort();
    assert_eq!(paths_of(&events, "file_uploaded"), written);
    let slug = "click-counter";

    let page = t.ok("projects_list", json!({ "page": null, "search": null }));
    assert_eq!(page["projects"][0]["slug"], slug);
    assert_eq!(page["projects"][0]["status"], "complete");
    let found = t.ok("projects_list", json!({ "page": null, "search": "click" }));
    assert_eq!(found["projects"].as_array().unwrap().len(), 1);
    let details = t.ok("project_get", json!({ "slug": slug }));
    assert_eq!(details["files"].as_array().unwrap().len(), FILES.len());
    let app_jsx = t.ok(
        "project_file",
        json!({ "slug": slug, "path": "src/App.jsx" }),
    );
    assert_eq!(app_jsx["text"], FILES[3].1);
    let zip_path = rig.dir.path().join("export").join("counter.zip");
    std::fs::create_dir_all(zip_path.parent().unwrap()).unwrap();
    let exported = t.ok(
        "project_export",
        json!({ "slug": slug, "out": zip_path, "partial": false }),
    );
    assert_eq!(exported["files"], FILES.len());
    let link = t.ok(
        "project_share_link",
        json!({ "slug": slug, "path": "src/App.jsx", "expiresInSecs": 3600 }),
    );
    let (status, body) = support::http_get(link["url"].as_str().unwrap()).await;
    assert_eq!(
        (status, body.as_str()),
        (200, FILES[3].1),
        "the link downloads the file"
    );
    // The whole project, zipped in the bucket behind a link: its entries are the files' bytes.
    let shared = t.ok(
        "project_share_zip",
        json!({ "slug": slug, "expiresInSecs": 3600 }),
    );
    assert_eq!(shared["files"], FILES.len(), "{shared}");
    let (status, zip) = support::http_get_bytes(shared["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(shared["bytes"], zip.len(), "{shared}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.len(), FILES.len());
    for (path, content) in FILES {
        let mut text = String::new();
        archive
            .by_name(&format!("{slug}/{path}"))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, content, "{path}");
    }
    let preview = t.ok("preview_url", json!({ "slug": slug }));
    assert!(preview.as_str().unwrap().contains(slug), "{preview}");
    // No preview open, and the counter has no backend to simulate.
    assert_eq!(t.ok("preview_api", json!({ "slug": slug })), Value::Null);
    assert_eq!(
        t.ok("preview_api_reset", json!({ "slug": slug })),
        Value::Null
    );

    // A run cancelled while a file is still coming, then resumed to the end.
    llm.set_script(counter::script(
        &llm_key,
        "Slow Counter",
        |path, content| {
            let reply = Reply::text(content).chunk_chars(16);
            if path == "src/App.jsx" {
                reply.first_token_after(HANG * 10)
            } else {
                reply
            }
        },
    ));
    let slow = t.ok(
        "generate",
        json!({ "request": { "idea": "A slower counter", "name": null, "stack": "react" },
                "onEvent": "__CHANNEL__:102" }),
    );
    // The three quick files are in the bucket; the fourth is still coming.
    let mut uploaded = 0;
    t.until(&mut rig, 102, |e| {
        uploaded += usize::from(e["type"] == "file_uploaded");
        uploaded == FILES.len() - 1
    })
    .await;
    let active = t.ok("runs_active", json!({}));
    assert_eq!(active[0]["run_id"], slow, "{active}");
    assert_eq!(t.ok("cancel", json!({ "runId": slow })), Value::Null);
    let cancelled = t.run_events(&mut rig, 102).await;
    assert_eq!(
        cancelled.last().unwrap()["type"],
        "cancelled",
        "{cancelled:?}"
    );
    assert_eq!(t.ok("runs_active", json!({})), json!([]));
    llm.set_script(counter::script(&llm_key, "Slow Counter", fast));
    t.ok(
        "resume",
        json!({ "slug": "slow-counter", "onEvent": "__CHANNEL__:103" }),
    );
    let resumed = t.run_events(&mut rig, 103).await;
    assert_eq!(
        resumed.last().unwrap()["type"],
        "finished",
        "the resume succeeds: {resumed:?}"
    );
    assert_eq!(paths_of(&resumed, "file_uploaded"), ["src/App.jsx"]);
    assert_eq!(
        paths_of(&resumed, "file_kept"),
        [
            "index.html",
            "package.json",
            "src/main.jsx",
            "vite.config.js"
        ]
    );
    // Fix with AI on a project whose files fit: all kept, checked, nothing asked for again.
    let asked_before = llm.requests().len();
    t.ok(
        "project_fix",
        json!({ "slug": "slow-counter", "onEvent": "__CHANNEL__:104" }),
    );
    let refitted = t.run_events(&mut rig, 104).await;
    assert_eq!(refitted.last().unwrap()["type"], "finished", "{refitted:?}");
    assert_eq!(paths_of(&refitted, "file_kept").len(), FILES.len());
    assert!(
        refitted
            .iter()
            .any(|e| e["type"] == "checked" && e["report"]["problems"] == json!([])),
        "{refitted:?}"
    );
    assert_eq!(llm.requests().len(), asked_before);

    // A change by asking, its history and diff, a hand edit, Undo and Restore.
    let app = counter::FILES
        .iter()
        .find(|(path, _)| *path == "src/App.jsx")
        .map(|(_, content)| content.replace("Clicked", "Pressed"))
        .unwrap();
    let plan = json!({ "summary": "Says pressed.", "files": [
        { "path": "src/App.jsx", "action": "modify", "purpose": "the counter" } ] });
    llm.set_script(
        counter::script(&llm_key, "Slow Counter", fast)
            .reply("change", Reply::text(plan.to_string()))
            .reply("edit src/App.jsx", Reply::text(app.clone())),
    );
    t.ok(
        "project_change",
        json!({ "slug": "slow-counter", "request": "Say pressed instead of clicked",
                "onEvent": "__CHANNEL__:105" }),
    );
    let changed = t.run_events(&mut rig, 105).await;
    assert_eq!(changed.last().unwrap()["type"], "finished", "{changed:?}");
    assert_eq!(paths_of(&changed, "file_uploaded"), ["src/App.jsx"]);
    let history = t.ok("project_history", json!({ "slug": "slow-counter" }));
    let current = history["current"].as_u64().unwrap();
    assert_eq!(
        history["revisions"].as_array().unwrap().len() as u64,
        current,
        "{history}"
    );
    let diff = t.ok(
        "project_diff",
        json!({ "slug": "slow-counter", "revision": current }),
    );
    assert_eq!(diff["files"][0]["path"], "src/App.jsx", "{diff}");
    assert_eq!(diff["files"][0]["after"], json!(app));
    let edited = t.ok(
        "project_save_file",
        json!({ "slug": "slow-counter", "path": "src/App.jsx",
                "content": app.replace("Pressed", "Tapped"), "expectedRevision": current }),
    );
    assert_eq!(edited["revision"]["number"], current + 1, "{edited}");
    let undone = t.ok("project_undo", json!({ "slug": "slow-counter" }));
    assert_eq!(undone["revision"]["restored_from"], current, "{undone}");
    let restored = t.ok(
        "project_restore",
        json!({ "slug": "slow-counter", "revision": 1 }),
    );
    assert_eq!(restored["revision"]["restored_from"], 1, "{restored}");

    // Every object the runs left in the bucket, read independently of the app.
    let config = garage.store_config();
    let prefix = format!("projects/{}/", user.as_str());
    let keys = support::raw_keys(&config, &prefix).await;
    assert!(keys.len() > 2 * FILES.len(), "{keys:?}");
    for key in &keys {
        sweep.assert_clean(key, &support::raw_get(&config, key).await);
    }

    let deleted = t.ok("project_delete", json!({ "slug": slug, "force": false }));
    assert!(deleted.as_u64().unwrap() >= FILES.len() as u64, "{deleted}");
    assert_eq!(
        support::raw_keys(&config, &format!("{prefix}{slug}/")).await,
        Vec::<String>::new()
    );

    // The built-in bucket too, then the saved secrets removed.
    let mut local = settings.clone();
    local["storage"]["kind"] = json!("local");
    t.ok(
        "settings_save_all",
        json!({ "settings": local, "secrets": [] }),
    );
    t.ok("storage_check", json!({}));
    assert_eq!(
        t.ok("projects_list", json!({ "page": null, "search": null }))["projects"],
        json!([])
    );
    t.ok("secret_delete", json!({ "slot": storage_slot }));
    let none_left = t.ok("secret_delete", json!({ "slot": openai_slot }));
    assert_eq!(none_left["secrets"]["storage_secret_key"], false);
    assert_eq!(none_left["secrets"]["llm_api_keys"], json!([]));
    assert_eq!(
        keyring_holds(&service, &SecretName::llm_api_key("openai")),
        None
    );

    // Every command the command list names was called, and succeeded.
    let called: std::collections::BTreeSet<&str> =
        t.answers.iter().map(|(cmd, _)| cmd.as_str()).collect();
    for name in COMMANDS.iter().chain(TEST_HOOK_COMMANDS) {
        assert!(called.contains(name), "{name} was not called");
    }

    // The sweep: every answer, every channel message, every file the app wrote.
    for (cmd, answer) in &t.answers {
        sweep.assert_clean(&format!("the answer to {cmd}"), answer.as_bytes());
    }
    assert!(t.messages.len() > 3 * FILES.len(), "{:?}", t.messages);
    for (channel, message) in &t.messages {
        sweep.assert_clean(&format!("channel {channel}"), message.as_bytes());
    }
    let files = sweep.assert_dir_clean(rig.dir.path());
    assert!(files.contains(&zip_path), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("settings.json")),
        "{files:?}"
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    assert_eq!(zip.len(), FILES.len());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        sweep.assert_clean(&format!("zip entry {i}"), &bytes);
    }
}
