//! Benchmark (not a test): opening the preview of a 20-file React project from the built-in
//! bucket and from moto, loading the page and every module the way a browser does (each
//! level of the import graph at once). Cold = a fresh preview server; warm = opened again.
//!
//! The same 20 files as the frontend of a full-stack project, and a round trip to its simulated
//! backend (a create, then the list), side by side.
//!
//! Run: `cargo bench -p bucketforge-engine --bench preview` (moto_server must be installed).

use bucketforge_test_support as support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bucketforge_engine::preview::{PreviewServer, VendorFiles};
use bucketforge_engine::secrets::InMemorySecrets;
use bucketforge_engine::session::{Overrides, Session};
use bucketforge_engine::settings::SettingsFile;
use bucketforge_engine::store::UserId;
use futures_util::future::join_all;
use support::{project, unique_user, ServerKind, TestServer};

const OPENS: usize = 20;

/// index.html, main, App, 16 components (each importing a shared helper), a stylesheet.
fn files() -> Vec<(String, String)> {
    let mut files = vec![
        ("index.html".into(), "<!doctype html>\n<html><head><title>P</title></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n".into()),
        ("src/main.jsx".into(), "import { createRoot } from 'react-dom/client';\nimport App from './App';\nimport './index.css';\ncreateRoot(document.getElementById('root')).render(<App />);\n".into()),
        ("src/index.css".into(), "body { font-family: sans-serif; }\n".into()),
        ("src/lib/format.ts".into(), "export const label = (i: number): string => `Part ${i}`;\n".into()),
    ];
    let mut app = String::new();
    let mut uses = String::new();
    for i in 0..16 {
        app.push_str(&format!("import Part{i} from './parts/Part{i}';\n"));
        uses.push_str(&format!("<Part{i} />"));
        files.push((
            format!("src/parts/Part{i}.tsx"),
            format!("import {{ useState }} from 'react';\nimport {{ label }} from '../lib/format';\nexport default function Part{i}() {{ const [n, setN] = useState(0); return <button onClick={{() => setN(n + 1)}}>{{label({i})}}: {{n}}</button>; }}\n"),
        ));
    }
    app.push_str(&format!(
        "export default function App() {{ return <main>{uses}</main>; }}\n"
    ));
    files.push(("src/App.jsx".into(), app));
    files
}

/// The project-absolute URLs a module or page refers to.
fn references(text: &str, root: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        for part in text.split(quote).skip(1).step_by(2) {
            if part.starts_with(root) {
                let (path, query) = match part.split_once('?') {
                    Some((p, q)) => (p.to_string(), Some(q.to_string())),
                    None => (part.to_string(), None),
                };
                out.push((path, query));
            }
        }
    }
    out
}

/// Loads the page and its module graph level by level; returns the time it took.
async fn open(preview: &PreviewServer, root: &str) -> Duration {
    let started = Instant::now();
    let page = preview.serve(root, None).await;
    assert_eq!(page.status, 200);
    let mut seen = BTreeSet::new();
    let mut level = references(&String::from_utf8_lossy(&page.body), root);
    while !level.is_empty() {
        level.retain(|r| seen.insert(r.clone()));
        let answers = join_all(level.iter().map(|(p, q)| preview.serve(p, q.as_deref()))).await;
        let mut next = Vec::new();
        for answer in answers {
            assert_eq!(answer.status, 200);
            next.extend(references(&String::from_utf8_lossy(&answer.body), root));
        }
        level = next;
    }
    assert!(
        seen.len() >= 20,
        "the whole graph was loaded: {}",
        seen.len()
    );
    started.elapsed()
}

fn p50(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("| bucket | project | cold open p50 | warm open p50 | API round trip p50 | files |");
    println!("|---|---|---|---|---|---|");
    for kind in [ServerKind::BuiltIn, ServerKind::Moto] {
        for full_stack in [false, true] {
            let server = TestServer::start(kind).await;
            let store = server.store().await;
            let user: UserId = unique_user("bench");
            let key = project(&user, "preview");
            let prefix = if full_stack { "frontend/" } else { "" };
            let files: Vec<(String, String)> = files()
                .into_iter()
                .map(|(p, c)| (format!("{prefix}{p}"), c))
                .collect();
            let borrowed: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, c)| (p.as_str(), c.as_str()))
                .collect();
            let stack = if full_stack { "fastapi-react" } else { "react" };
            support::seed_project(&store, &key, stack, &borrowed).await;
            if full_stack {
                support::set_contract(&store, &key, support::todo_contract()).await;
            }

            let env = support::seed_env(&server.config);
            let dir = tempfile::tempdir().unwrap();
            let session = Arc::new(Session::open(
                SettingsFile::in_dir(dir.path()),
                Arc::new(InMemorySecrets::default()),
                Some(Arc::new(move |name: &str| {
                    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
                })),
                Overrides {
                    user: Some(user.clone()),
                    ..Overrides::default()
                },
            ));
            let vendor: VendorFiles = Arc::new(|_: &str| Some(b"export default {};".to_vec()));
            let root = format!("/{}/preview/", user);
            let mut cold = Vec::new();
            let mut warm = Vec::new();
            let mut round_trips = Vec::new();
            for _ in 0..OPENS {
                let preview =
                    PreviewServer::new(session.clone(), vendor.clone(), "preview://localhost");
                cold.push(open(&preview, &root).await);
                warm.push(open(&preview, &root).await);
                if full_stack {
                    let api = format!("/__bucketforge/api/{user}/preview/api/todos");
                    for _ in 0..10 {
                        let started = Instant::now();
                        let created = preview
                            .serve_request("POST", &api, None, br#"{"title": "Buy milk"}"#)
                            .await;
                        let listed = preview.serve_request("GET", &api, None, b"").await;
                        round_trips.push(started.elapsed());
                        assert_eq!((created.status, listed.status), (200, 200));
                    }
                }
            }
            let name = match kind {
                ServerKind::BuiltIn => "built-in",
                ServerKind::Moto => "moto",
                ServerKind::Garage => "garage",
            };
            let round_trip = if round_trips.is_empty() {
                "—".to_string()
            } else {
                format!("{:.3} ms", p50(round_trips).as_secs_f64() * 1e3)
            };
            println!(
                "| {name} | {} | {:.1} ms | {:.1} ms | {round_trip} | {} |",
                if full_stack { "full-stack" } else { "react" },
                p50(cold).as_secs_f64() * 1e3,
                p50(warm).as_secs_f64() * 1e3,
                files.len()
            );
        }
    }
    println!("\n{OPENS} opens each; a browser's own parse and render time is not included (the end-to-end test measures the real pane).");
}
