//! The preview server against a real bucket: pages, compiled modules, the cache, and every
//! refusal (another user's project, traversal, files that are not there).

use bucketforge_test_support as support;

use std::sync::Arc;

use bucketforge_engine::preview::{PreviewServer, PreviewSource, VendorFiles};
use bucketforge_engine::session::Overrides;
use bucketforge_engine::store::{ObjectStore, ProjectKey, ProjectPath, UserId};
use support::{project, ServerKind, TestServer};

/// The preview's view of the app: one signed-in user and their bucket.
struct SignedIn {
    user: UserId,
    store: ObjectStore,
}

#[async_trait::async_trait]
impl PreviewSource for SignedIn {
    fn user(&self) -> bucketforge_engine::Result<UserId> {
        Ok(self.user.clone())
    }

    async fn store(&self) -> bucketforge_engine::Result<ObjectStore> {
        Ok(self.store.clone())
    }
}

const FILES: &[(&str, &str)] = &[
    ("index.html", "<!doctype html>\n<html><head><title>Todo</title></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n"),
    ("src/main.jsx", "import { createRoot } from 'react-dom/client';\nimport App from './App';\nimport './index.css';\ncreateRoot(document.getElementById('root')).render(<App />);\n"),
    ("src/App.jsx", "import data from './data.json';\nimport { title } from './lib/text';\nexport default function App() { return <h1>{title(data.name)}</h1>; }\n"),
    ("src/lib/text.ts", "export function title(s: string): string { return s.toUpperCase(); }\n"),
    ("src/data.json", "{\"name\": \"todo\"}\n"),
    ("src/index.css", "h1 { color: rebeccapurple; }\n"),
    ("src/Broken.jsx", "export default function Broken() { return <div>; }\n"),
    ("src/Axios.jsx", "import axios from 'axios';\nexport default axios;\n"),
];

struct Rig {
    _server: TestServer,
    store: ObjectStore,
    key: ProjectKey,
    preview: PreviewServer,
}

async fn rig() -> Rig {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let store = server.store().await;
    let user = UserId::new("alice").unwrap();
    let key = project(&user, "todo");
    support::seed_project(&store, &key, "react", FILES).await;
    let source = Arc::new(SignedIn {
        user,
        store: store.clone(),
    });
    let vendor: VendorFiles =
        Arc::new(|name: &str| (name == "react.js").then(|| b"export default {};".to_vec()));
    Rig {
        _server: server,
        store,
        key,
        preview: PreviewServer::new(source, vendor, "preview://localhost"),
    }
}

fn text(body: &bytes::Bytes) -> String {
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn the_page_carries_the_import_map_and_a_strict_csp() {
    let rig = rig().await;
    let page = rig.preview.serve("/alice/todo/", None).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    let html = text(&page.body);
    assert!(html.contains("<script type=\"importmap\">"), "{html}");
    assert!(html.contains("src=\"/alice/todo/src/main.jsx\""), "{html}");
    assert!(page.csp.contains("connect-src 'none'"), "{}", page.csp);
    assert!(
        page.csp.contains("'sha256-"),
        "the import map is allowed by its hash: {}",
        page.csp
    );
}

#[tokio::test]
async fn modules_are_compiled_with_their_imports_resolved() {
    let rig = rig().await;
    rig.preview.serve("/alice/todo/", None).await;
    let main = rig.preview.serve("/alice/todo/src/main.jsx", None).await;
    assert_eq!(main.status, 200);
    assert_eq!(main.content_type, "text/javascript; charset=utf-8");
    let js = text(&main.body);
    assert!(js.contains("\"/alice/todo/src/App.jsx\""), "{js}");
    assert!(
        js.contains("\"/alice/todo/src/index.css?as=style\""),
        "{js}"
    );
    assert!(js.contains("from \"react/jsx-runtime\""), "{js}");

    let app = text(
        &rig.preview
            .serve("/alice/todo/src/App.jsx", None)
            .await
            .body,
    );
    assert!(
        app.contains("\"/alice/todo/src/data.json?as=json\""),
        "{app}"
    );
    assert!(app.contains("\"/alice/todo/src/lib/text.ts\""), "{app}");
    let ts = text(
        &rig.preview
            .serve("/alice/todo/src/lib/text.ts", None)
            .await
            .body,
    );
    assert!(!ts.contains(": string"), "types are stripped: {ts}");
    let css = text(
        &rig.preview
            .serve("/alice/todo/src/index.css", Some("as=style"))
            .await
            .body,
    );
    assert!(
        css.contains("rebeccapurple") && css.contains("createElement('style')"),
        "{css}"
    );
    let json = text(
        &rig.preview
            .serve("/alice/todo/src/data.json", Some("as=json"))
            .await
            .body,
    );
    assert_eq!(json, "export default {\"name\":\"todo\"};\n");
}

#[tokio::test]
async fn compile_errors_and_unknown_packages_become_modules_that_say_so() {
    let rig = rig().await;
    let broken = text(
        &rig.preview
            .serve("/alice/todo/src/Broken.jsx", None)
            .await
            .body,
    );
    assert!(broken.starts_with("throw new Error("), "{broken}");
    assert!(
        broken.contains("src/Broken.jsx could not be compiled"),
        "{broken}"
    );
    let axios = text(
        &rig.preview
            .serve("/alice/todo/src/Axios.jsx", None)
            .await
            .body,
    );
    assert!(
        axios.contains("/__bucketforge/error.js?message="),
        "{axios}"
    );
    let error = rig
        .preview
        .serve(
            "/__bucketforge/error.js",
            Some("message=it%20imports%20%E2%80%9Caxios%E2%80%9D"),
        )
        .await;
    assert_eq!(
        text(&error.body),
        "throw new Error(\"it imports “axios”\");\n"
    );
}

#[tokio::test]
async fn another_users_project_is_refused() {
    let rig = rig().await;
    let bob = project(&UserId::new("bob").unwrap(), "secret");
    rig.store
        .put_file(
            &bob,
            &ProjectPath::new("src/App.jsx").unwrap(),
            "export const key = 'bob-only';\n",
        )
        .await
        .unwrap();
    let answer = rig.preview.serve("/bob/secret/src/App.jsx", None).await;
    assert_eq!(answer.status, 403);
    assert!(!text(&answer.body).contains("bob-only"));
}

#[tokio::test]
async fn traversal_in_any_spelling_is_refused() {
    let rig = rig().await;
    for path in [
        "/alice/todo/../../bob/secret/src/App.jsx",
        "/alice/todo/%2e%2e/%2e%2e/bob/secret/src/App.jsx",
        "/alice/todo/..%2F..%2Fbob/secret/src/App.jsx",
        "/alice/%2E%2E/bob/secret/src/App.jsx",
        "/alice/todo/src%5C..%5CApp.jsx",
    ] {
        let answer = rig.preview.serve(path, None).await;
        assert!(
            answer.status == 400 || answer.status == 403,
            "{path}: {}",
            answer.status
        );
    }
    assert_eq!(
        rig.preview
            .serve("/alice/todo/src/Missing.jsx", None)
            .await
            .status,
        404
    );
    assert_eq!(
        rig.preview
            .serve("/__bucketforge/vendor/../../etc/passwd", None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn vendored_modules_and_the_overlay_are_served_by_the_app() {
    let rig = rig().await;
    let react = rig
        .preview
        .serve("/__bucketforge/vendor/react.js", None)
        .await;
    assert_eq!(
        (react.status, text(&react.body).as_str()),
        (200, "export default {};")
    );
    assert_eq!(
        rig.preview
            .serve("/__bucketforge/vendor/vue.js", None)
            .await
            .status,
        404
    );
    let overlay = rig.preview.serve("/__bucketforge/overlay.js", None).await;
    assert!(text(&overlay.body).contains("unhandledrejection"));
}

#[tokio::test]
async fn a_changed_file_is_served_fresh_after_being_cached() {
    let rig = rig().await;
    let first = text(
        &rig.preview
            .serve("/alice/todo/src/lib/text.ts", None)
            .await
            .body,
    );
    assert!(first.contains("toUpperCase"));
    // Served again unchanged (from the cache, after S3 answered 304 Not Modified).
    assert_eq!(
        text(
            &rig.preview
                .serve("/alice/todo/src/lib/text.ts", None)
                .await
                .body
        ),
        first
    );
    rig.store
        .put_file(
            &rig.key,
            &ProjectPath::new("src/lib/text.ts").unwrap(),
            "export function title(s: string): string { return s.toLowerCase(); }\n",
        )
        .await
        .unwrap();
    let second = text(
        &rig.preview
            .serve("/alice/todo/src/lib/text.ts", None)
            .await
            .body,
    );
    assert!(second.contains("toLowerCase"), "{second}");
}

#[tokio::test]
async fn an_open_preview_follows_files_that_a_resume_adds() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let store = server.store().await;
    let user = UserId::new("alice").unwrap();
    let key = project(&user, "late");
    let app = "import Late from './Late';\nexport default function App() { return <Late />; }\n";
    let late = "export default function Late() { return <p>late</p>; }\n";
    // An interrupted project: App landed, the component it imports did not.
    support::seed_project(&store, &key, "react", &[("src/App.jsx", app)]).await;
    let source = Arc::new(SignedIn {
        user: user.clone(),
        store: store.clone(),
    });
    let vendor: VendorFiles = Arc::new(|_: &str| None);
    let preview = PreviewServer::new(source, vendor, "preview://localhost");
    preview.serve("/alice/late/", None).await;
    let before = text(&preview.serve("/alice/late/src/App.jsx", None).await.body);
    // The missing import becomes the overlay's error module, which names the file.
    assert!(
        before.contains("/__bucketforge/error.js?message="),
        "{before}"
    );
    assert!(before.contains("%E2%80%9C.%2FLate%E2%80%9D"), "{before}");

    // The resume adds the file and records it, as a run does.
    let path = ProjectPath::new("src/Late.jsx").unwrap();
    let receipt = store.put_file(&key, &path, late.to_string()).await.unwrap();
    support::update_manifest(&store, &key, |manifest| {
        manifest
            .files
            .push(bucketforge_engine::store::ManifestFile {
                path: path.clone(),
                bytes: receipt.bytes,
                sha256: receipt.sha256,
                content_type: receipt.content_type,
                attempts: 1,
            })
    })
    .await;

    // The new file is served at once, and a reload compiles App against it.
    let served = preview.serve("/alice/late/src/Late.jsx", None).await;
    assert_eq!(served.status, 200, "{}", text(&served.body));
    assert!(text(&served.body).contains("late"));
    preview.serve("/alice/late/", None).await;
    let after = text(&preview.serve("/alice/late/src/App.jsx", None).await.body);
    assert!(after.contains("\"/alice/late/src/Late.jsx\""), "{after}");
    assert!(!after.contains("error.js"), "{after}");
}

#[tokio::test]
async fn the_session_is_a_preview_source_for_its_own_user_only() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let store = server.store().await;
    let alice = UserId::new("alice").unwrap();
    support::seed_project(&store, &project(&alice, "todo"), "react", FILES).await;
    // The session points at the same server through the seed's variables, as the CLI would.
    let dir = tempfile::tempdir().unwrap();
    let session = Arc::new(support::session_with_env(
        dir.path(),
        support::seed_env(&server.config),
        Overrides {
            user: Some(alice),
            ..Overrides::default()
        },
    ));
    let preview = PreviewServer::new(session, Arc::new(|_: &str| None), "preview://localhost");
    let app = preview.serve("/alice/todo/src/lib/text.ts", None).await;
    assert_eq!(app.status, 200, "{}", text(&app.body));
    assert!(text(&app.body).contains("toUpperCase"));
    assert_eq!(
        preview
            .serve("/bob/todo/src/lib/text.ts", None)
            .await
            .status,
        403
    );
}

/// A full-stack project whose manifest carries a structured contract.
async fn seed_full_stack(rig: &Rig, slug: &str) -> ProjectKey {
    let key = project(rig.key.user(), slug);
    let files = [
        ("frontend/index.html", FILES[0].1),
        ("frontend/src/main.jsx", FILES[1].1),
        (
            "frontend/src/api.js",
            "export const API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n",
        ),
        (
            "backend/main.py",
            "from fastapi import FastAPI\napp = FastAPI()\n",
        ),
    ];
    support::seed_project(&rig.store, &key, "fastapi-react", &files).await;
    let mut contract = support::todo_contract();
    contract["endpoints"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            { "method": "GET", "path": "/api/stats", "action": "custom", "example": { "total": 3 } }
        ));
    support::set_contract(&rig.store, &key, contract).await;
    key
}

fn json_of(body: &bytes::Bytes) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn a_full_stack_app_reaches_its_simulated_backend_and_nothing_else() {
    let rig = rig().await;
    let key = seed_full_stack(&rig, "todos").await;
    let base = "/__bucketforge/api/alice/todos";

    // The page may connect to its own backend only; the app's base URL points at it.
    let page = rig.preview.serve("/alice/todos/", None).await;
    assert!(
        page.csp
            .contains(&format!("connect-src preview://localhost{base}/;")),
        "{}",
        page.csp
    );
    let api = rig
        .preview
        .serve("/alice/todos/frontend/src/api.js", None)
        .await;
    assert!(
        text(&api.body).contains(&format!("\"VITE_API_URL\":\"preview://localhost{base}\"")),
        "{}",
        text(&api.body)
    );

    let call = |method: &'static str, path: &'static str, body: &'static str| {
        let preview = &rig.preview;
        async move {
            preview
                .serve_request(method, &format!("{base}{path}"), None, body.as_bytes())
                .await
        }
    };
    let created = call("POST", "/api/todos", r#"{"title": "Buy milk"}"#).await;
    assert_eq!(created.status, 200, "{}", text(&created.body));
    assert_eq!(created.content_type, "application/json");
    assert_eq!(
        json_of(&created.body),
        serde_json::json!({ "id": 1, "title": "Buy milk", "done": false })
    );
    let listed = call("GET", "/api/todos", "").await;
    assert_eq!(json_of(&listed.body).as_array().unwrap().len(), 1);
    assert_eq!(
        json_of(&call("GET", "/api/stats", "").await.body),
        serde_json::json!({ "total": 3 })
    );
    let missing = call("POST", "/api/x", "{}").await;
    assert_eq!(missing.status, 404);
    assert!(
        json_of(&missing.body)["detail"]
            .as_str()
            .unwrap()
            .starts_with("The app called POST /api/x"),
        "{}",
        text(&missing.body)
    );
    // The toolbar's view: the endpoints and every call, in order.
    let seen = rig.preview.backends().api(&key).unwrap();
    assert_eq!(seen.endpoints, 3);
    let calls: Vec<(String, u16)> = seen
        .calls
        .iter()
        .map(|c| (c.path.clone(), c.status))
        .collect();
    assert_eq!(
        calls,
        [
            ("/api/todos".to_string(), 200),
            ("/api/todos".to_string(), 200),
            ("/api/stats".to_string(), 200),
            ("/api/x".to_string(), 404)
        ]
    );
    // Reloading the page keeps the data; Reset data empties it.
    rig.preview.serve("/alice/todos/", None).await;
    assert_eq!(
        json_of(&call("GET", "/api/todos", "").await.body)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    rig.preview.backends().reset(&key);
    assert_eq!(
        json_of(&call("GET", "/api/todos", "").await.body),
        serde_json::json!([])
    );

    // Nothing else answers there: another user's backend, a way out, a file by POST.
    let other = rig
        .preview
        .serve_request("GET", "/__bucketforge/api/bob/todos/api/todos", None, b"")
        .await;
    assert_eq!(other.status, 403);
    for path in [
        format!("{base}/../../alice/todos/backend/main.py"),
        format!("{base}/%2e%2e/x"),
    ] {
        let out = rig.preview.serve_request("GET", &path, None, b"").await;
        assert_eq!(out.status, 400, "{path}: {}", text(&out.body));
    }
    let posted = rig
        .preview
        .serve_request("POST", "/alice/todos/backend/main.py", None, b"x")
        .await;
    assert_eq!(posted.status, 400, "{}", text(&posted.body));
    // A project without endpoints has no backend: its page connects nowhere.
    let page = rig.preview.serve("/alice/todo/", None).await;
    assert!(page.csp.contains("connect-src 'none'"), "{}", page.csp);
}

#[tokio::test]
async fn an_older_project_gets_a_backend_read_from_its_fastapi_code() {
    let rig = rig().await;
    // Written before plans had a structured contract: its manifest's contract is plain text.
    let key = project(rig.key.user(), "older");
    let main_py = "from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\n\nclass Note(BaseModel):\n    id: int = 0\n    text: str\n\n\nnotes: list[Note] = []\n\n\n@app.get(\"/api/notes\")\ndef list_notes() -> list[Note]:\n    return notes\n\n\n@app.post(\"/api/notes\")\ndef add_note(note: Note) -> Note:\n    notes.append(note)\n    return note\n";
    let files = [
        ("frontend/index.html", FILES[0].1),
        ("frontend/src/main.jsx", FILES[1].1),
        ("backend/main.py", main_py),
    ];
    support::seed_project(&rig.store, &key, "fastapi-react", &files).await;
    let page = rig.preview.serve("/alice/older/", None).await;
    assert!(
        page.csp
            .contains("connect-src preview://localhost/__bucketforge/api/alice/older/;"),
        "{}",
        page.csp
    );
    let base = "/__bucketforge/api/alice/older";
    let created = rig
        .preview
        .serve_request(
            "POST",
            &format!("{base}/api/notes"),
            None,
            br#"{"text": "hi"}"#,
        )
        .await;
    assert_eq!(created.status, 200, "{}", text(&created.body));
    assert_eq!(json_of(&created.body)["text"], "hi");
    let missing = rig
        .preview
        .serve_request("POST", &format!("{base}/api/notes"), None, b"{}")
        .await;
    assert_eq!(
        missing.status,
        422,
        "text is required: {}",
        text(&missing.body)
    );
    let api = rig.preview.backends().api(&key).unwrap();
    assert!(api.from_code);
    assert_eq!(api.endpoints, 2);
}
