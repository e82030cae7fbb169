//! Each recipe's check, on a file that holds to it and one that does not.

use super::*;

const STANDARDS: Standards = Standards { react_major: 19 };

fn full_stack() -> Layout {
    Layout {
        frontend_root: "frontend/".into(),
        backend_root: Some("backend/".into()),
    }
}

/// The rules `text` breaks as `path` of a full-stack project.
fn rules(path: &str, text: &str) -> Vec<QualityRule> {
    let mut rules: Vec<QualityRule> = review_file(&full_stack(), &STANDARDS, path, text)
        .into_iter()
        .map(|f| f.rule)
        .collect();
    rules.dedup();
    rules
}

/// Asserts that `good` passes `rule` and `bad` does not (as `path`).
fn holds(rule: QualityRule, path: &str, good: &str, bad: &str) {
    assert!(
        !rules(path, good).contains(&rule),
        "{rule:?} should pass:\n{good}\n{:?}",
        review_file(&full_stack(), &STANDARDS, path, good)
    );
    assert!(
        rules(path, bad).contains(&rule),
        "{rule:?} should fail:\n{bad}"
    );
}

#[test]
fn the_api_address_needs_a_fallback_or_a_test() {
    let path = "frontend/src/api.js";
    holds(
        QualityRule::GuardedEnv,
        path,
        "export const API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\nconst dev = import.meta.env.DEV;\n",
        "export const API = import.meta.env.VITE_API_URL;\n",
    );
    holds(
        QualityRule::GuardedEnv,
        path,
        "export const API = import.meta.env.VITE_API_URL ? import.meta.env.VITE_API_URL : '/api';\n",
        "export const url = (p) => `${import.meta.env.VITE_API_URL}${p}`;\n",
    );
    let finding = &review_file(
        &full_stack(),
        &STANDARDS,
        path,
        "\nexport const API = import.meta.env.VITE_API_URL;\n",
    )[0];
    assert_eq!(finding.line, Some(2));
    assert!(finding.breaks);
    assert!(
        finding.message.contains("VITE_API_URL ??"),
        "{}",
        finding.message
    );
}

#[test]
fn a_request_needs_its_failure_handled() {
    let path = "frontend/src/api.js";
    holds(
        QualityRule::HandledRequests,
        path,
        "export async function list() {\n  try {\n    const r = await fetch('/api/todos');\n    return await r.json();\n  } catch {\n    throw new Error('The server is not answering.');\n  }\n}\nexport const other = () => fetch('/x').then((r) => r.json()).catch(() => []);\n",
        "export async function list() {\n  const r = await fetch('/api/todos');\n  return r.json();\n}\n",
    );
    let findings = review_file(
        &full_stack(),
        &STANDARDS,
        path,
        "export const a = () => fetch('/a');\nexport const b = () => window.fetch('/b');\n",
    );
    assert_eq!(findings.len(), 1, "one finding per file: {findings:?}");
    assert!(findings[0].message.contains("(2 calls)"), "{findings:?}");
    assert!(!findings[0].breaks, "a note, not a fix");
}

#[test]
fn browser_storage_and_pop_ups_belong_in_helpers() {
    let bad = "export function save(items) {\n  localStorage.setItem('items', JSON.stringify(items));\n  if (!confirm('Saved. Again?')) return;\n}\n";
    assert!(rules("frontend/src/components/List.jsx", bad).contains(&QualityRule::BrowserHelpers));
    assert!(!rules("frontend/src/storage.js", bad).contains(&QualityRule::BrowserHelpers));
    assert!(!rules("frontend/src/lib/persist.js", bad).contains(&QualityRule::BrowserHelpers));
    holds(
        QualityRule::BrowserHelpers,
        "frontend/src/App.jsx",
        "import { load } from './storage';\nexport default function App() { return <p>{load().length}</p>; }\n",
        "export default function App() { window.alert('hi'); return <p />; }\n",
    );
}

#[test]
fn remote_images_fonts_and_scripts_are_refused_everywhere() {
    holds(
        QualityRule::LocalAssets,
        "frontend/src/Logo.jsx",
        "import logo from './logo.svg';\nexport default function Logo() { return <a href=\"https://example.com\"><img src={logo} alt=\"Logo\" /></a>; }\n",
        "export default function Logo() { return <img src=\"https://example.com/logo.png\" alt=\"Logo\" />; }\n",
    );
    holds(
        QualityRule::LocalAssets,
        "frontend/src/index.css",
        "body { font-family: system-ui, sans-serif; background: url('./bg.svg'); }\n",
        "@import url('https://fonts.googleapis.com/css2?family=Inter');\nbody { font-family: Inter; }\n",
    );
    holds(
        QualityRule::LocalAssets,
        "frontend/index.html",
        "<!doctype html><html><head><link rel=\"icon\" href=\"/favicon.svg\"></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n",
        "<!doctype html><html><head><script src=\"https://cdn.tailwindcss.com\"></script></head><body></body></html>\n",
    );
    holds(
        QualityRule::LocalAssets,
        "frontend/src/Intro.jsx",
        "export default () => <video src=\"/intro.mp4\" poster=\"/intro.png\" controls />;\n",
        "export default () => <video src=\"/intro.mp4\" poster=\"https://example.com/intro.png\" controls />;\n",
    );
    // The backend on this machine is not "the internet".
    assert!(!rules(
        "frontend/src/App.jsx",
        "export default () => <img src=\"http://localhost:8000/logo.png\" alt=\"\" />;\n"
    )
    .contains(&QualityRule::LocalAssets));
}

#[test]
fn fields_need_labels_and_images_alt_text() {
    let path = "frontend/src/Form.jsx";
    holds(
        QualityRule::LabelledInputs,
        path,
        "export default function Form() {\n  return (<form>\n    <label>Title <input name=\"title\" /></label>\n    <label htmlFor=\"due\">Due</label><input id=\"due\" type=\"date\" />\n    <textarea aria-label=\"Notes\" />\n    <input type=\"hidden\" name=\"x\" />\n    <button type=\"submit\">Add</button>\n  </form>);\n}\n",
        "export default function Form() {\n  return <form><input placeholder=\"Title\" /><select><option>A</option></select></form>;\n}\n",
    );
    let findings = review_file(
        &full_stack(),
        &STANDARDS,
        path,
        "export default () => <form><input placeholder=\"Title\" /><select /></form>;\n",
    );
    assert!(findings[0].message.contains("2 fields"), "{findings:?}");
    holds(
        QualityRule::ImageAlt,
        path,
        "export default () => <img src=\"./a.png\" alt=\"\" />;\n",
        "export default () => <img src=\"./a.png\" />;\n",
    );
}

#[test]
fn jsx_only_in_jsx_files() {
    holds(
        QualityRule::JsxInJsx,
        "frontend/src/App.js",
        "import React from 'react';\nexport default function App() { return React.createElement('p', null, 'Hi'); }\n",
        "export default function App() { return <p>Hi</p>; }\n",
    );
    // The same JSX in a .jsx file is what the recipe asks for.
    assert!(!rules(
        "frontend/src/App.jsx",
        "export default function App() { return <p>Hi</p>; }\n"
    )
    .contains(&QualityRule::JsxInJsx));
}

#[test]
fn the_app_starts_with_create_root() {
    let path = "frontend/src/main.jsx";
    holds(
        QualityRule::CreateRoot,
        path,
        "import { createRoot } from 'react-dom/client';\nimport App from './App';\ncreateRoot(document.getElementById('root')).render(<App />);\n",
        "import ReactDOM from 'react-dom';\nimport App from './App';\nReactDOM.render(<App />, document.getElementById('root'));\n",
    );
    assert!(rules(
        path,
        "import { render } from 'react-dom';\nimport App from './App';\nrender(<App />, document.getElementById('root'));\n"
    )
    .contains(&QualityRule::CreateRoot));
}

#[test]
fn package_json_asks_for_the_react_the_preview_runs() {
    let path = "frontend/package.json";
    holds(
        QualityRule::ReactVersion,
        path,
        r#"{"dependencies": {"react": "^19.1.0", "react-dom": "^19.1.0"}}"#,
        r#"{"dependencies": {"react": "^18.3.1", "react-dom": "^18.3.1"}}"#,
    );
    assert!(rules(path, r#"{"dependencies": {"react": "latest"}}"#)
        .contains(&QualityRule::ReactVersion));
}

#[test]
fn apply_is_a_note_where_the_preview_runs_tailwind() {
    holds(
        QualityRule::TailwindClasses,
        "frontend/src/index.css",
        "@import \"tailwindcss\";\nbody { margin: 0; }\n",
        "@import \"tailwindcss\";\n.btn { @apply px-4 py-2 rounded; }\n",
    );
    // Without Tailwind, `@apply` means nothing to anyone: not this rule's business.
    assert!(!rules("frontend/src/index.css", ".btn { @apply x; }\n")
        .contains(&QualityRule::TailwindClasses));
}

const APP_OK: &str = "from pathlib import Path\nimport sqlite3\nfrom fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\nDB_PATH = Path(__file__).parent / \"app.db\"\napp = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\", allow_methods=[\"*\"], allow_headers=[\"*\"])\n\n\ndef get_db():\n    conn = sqlite3.connect(DB_PATH)\n    conn.execute(\"CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, title TEXT)\")\n    return conn\n";

#[test]
fn sqlite_lives_beside_the_code_one_connection_per_request() {
    let path = "backend/main.py";
    holds(
        QualityRule::SqliteBesideCode,
        path,
        APP_OK,
        &APP_OK.replace("sqlite3.connect(DB_PATH)", "sqlite3.connect(\"app.db\")"),
    );
    holds(
        QualityRule::SqliteBesideCode,
        path,
        &APP_OK.replace("sqlite3.connect(DB_PATH)", "sqlite3.connect(\":memory:\")"),
        &APP_OK.replace("Path(__file__).parent / \"app.db\"", "\"todos.db\""),
    );
    let shared = format!("{APP_OK}\nconn = sqlite3.connect(DB_PATH)\n");
    holds(QualityRule::SqlitePerRequest, path, APP_OK, &shared);
    let finding = review_file(&full_stack(), &STANDARDS, path, &shared)
        .into_iter()
        .find(|f| f.rule == QualityRule::SqlitePerRequest)
        .unwrap();
    assert!(
        finding.breaks,
        "a shared connection fails on FastAPI's threads"
    );
    let any_thread =
        format!("{APP_OK}\nconn = sqlite3.connect(DB_PATH, check_same_thread=False)\n");
    let finding = review_file(&full_stack(), &STANDARDS, path, &any_thread)
        .into_iter()
        .find(|f| f.rule == QualityRule::SqlitePerRequest)
        .expect("still shared");
    assert!(finding.message.contains("one per request"), "{finding:?}");
    assert!(!finding.breaks, "it works across threads, so it is a note");
    holds(
        QualityRule::SqliteIfNotExists,
        path,
        APP_OK,
        &APP_OK.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"),
    );
}

#[test]
fn cors_lets_the_frontend_in_from_localhost_and_127_on_any_port() {
    let path = "backend/main.py";
    holds(
        QualityRule::CorsLocalhost,
        path,
        &APP_OK.replace(
            "allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\"",
            "allow_origins=[\"*\"]",
        ),
        &APP_OK.replace(
            "allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\"",
            "allow_origins=[\"http://localhost:5173\"]",
        ),
    );
    holds(
        QualityRule::CorsLocalhost,
        path,
        APP_OK,
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get(\"/api/x\")\ndef x():\n    return {}\n",
    );
    // A list named once at the top is read through its name.
    let named = APP_OK.replace(
        "allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\"",
        "allow_origins=ORIGINS",
    );
    let two = named.replace(
        "app = FastAPI()",
        "ORIGINS = [\"http://localhost:5173\", \"http://127.0.0.1:5173\"]\napp = FastAPI()",
    );
    assert!(
        rules(path, &two).contains(&QualityRule::CorsLocalhost),
        "port 5174 is refused"
    );
    // A module without an app is not asked for CORS.
    assert!(!rules(
        "backend/models.py",
        "from pydantic import BaseModel\n\nclass Todo(BaseModel):\n    title: str\n"
    )
    .contains(&QualityRule::CorsLocalhost));
}

#[test]
fn long_files_are_a_note() {
    let short = "export default () => <p />;\n".repeat(50);
    let long = "export const x = 1;\n".repeat(120) + &"// more\n".repeat(100);
    holds(
        QualityRule::FileSize,
        "frontend/src/List.jsx",
        &short,
        &long,
    );
    // The same length is within budget for a plain module.
    assert!(!rules("frontend/src/data.js", &long).contains(&QualityRule::FileSize));
}

#[test]
fn a_project_report_lists_the_rules_that_apply_and_every_finding() {
    let files = [
        SourceFile {
            path: "frontend/src/App.jsx",
            text: "const API = import.meta.env.VITE_API_URL;\nexport default function App() { return <img src=\"a.png\" />; }\n",
        },
        SourceFile {
            path: "frontend/package.json",
            text: r#"{"dependencies": {"react": "^19.0.0"}}"#,
        },
        SourceFile {
            path: "backend/main.py",
            text: APP_OK,
        },
    ];
    let report = review_project(&full_stack(), &STANDARDS, &files);
    let failed: Vec<QualityRule> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.rule)
        .collect();
    assert_eq!(failed, [QualityRule::GuardedEnv, QualityRule::ImageAlt]);
    assert!(report
        .checks
        .iter()
        .any(|c| c.rule == QualityRule::CorsLocalhost && c.passed));
    // Breaking findings first.
    assert!(report.findings[0].breaks);
    assert_eq!(report.breaking().count(), 1);
    assert_eq!(
        report.summary(),
        format!(
            "{} of {} checks passed; 1 problem, 1 note",
            report.checks.len() - 2,
            report.checks.len()
        )
    );
    // A React-only project is not asked about SQLite or CORS.
    let react = review_project(
        &Layout::default(),
        &STANDARDS,
        &[SourceFile {
            path: "src/App.jsx",
            text: "export default () => <p />;\n",
        }],
    );
    assert!(!react
        .checks
        .iter()
        .any(|c| c.rule == QualityRule::CorsLocalhost));
    assert!(react.findings.is_empty());
}

#[test]
fn odd_input_is_a_verdict_not_a_crash() {
    for (path, text) in [
        ("frontend/src/a.jsx", "export default () => <"),
        ("backend/main.py", "def (:"),
        ("frontend/package.json", "{"),
        ("frontend/index.html", "<<<script src=\"https://x"),
        ("frontend/src/a.css", "url(https://"),
    ] {
        let _ = review_file(&full_stack(), &STANDARDS, path, text);
    }
    assert!(review_file(
        &full_stack(),
        &STANDARDS,
        "frontend/src/a.jsx",
        "export default () => <"
    )
    .is_empty());
}
