//! The cross-file check and the checks that need no model (`quality::review_project`) on a
//! 60-file fastapi-react project built in memory: median time of each over 50 runs, and of both
//! together, next to the goal for both together.
//!
//! `cargo bench -p bucketforge-check`. Not a test: it prints and asserts nothing.

use std::time::{Duration, Instant};

use bucketforge_check::quality::{review_project, Standards};
use bucketforge_check::{check_project, Contract, Layout, SourceFile};

const RUNS: usize = 50;
const GOAL: Duration = Duration::from_millis(50);

/// Resources of the generated API; each has a model, a router and four endpoints.
const RESOURCES: [&str; 8] = [
    "todos", "notes", "tags", "users", "projects", "tasks", "comments", "files",
];

fn main() {
    let (files, contract) = project();
    let sources: Vec<SourceFile<'_>> = files
        .iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    let layout = Layout {
        frontend_root: "frontend/".into(),
        backend_root: Some("backend/".into()),
    };
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let standards = Standards { react_major: 19 };
    let first = check_project(&layout, &contract, &sources);
    let first_review = review_project(&layout, &standards, &sources);
    // Each round times the check, the review, and both one after the other.
    let mut check_times = Vec::with_capacity(RUNS);
    let mut review_times = Vec::with_capacity(RUNS);
    let mut both_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let report = check_project(&layout, &contract, &sources);
        check_times.push(start.elapsed());
        assert_eq!(report, first);
        let start = Instant::now();
        let review = review_project(&layout, &standards, &sources);
        review_times.push(start.elapsed());
        assert_eq!(review, first_review);
        let start = Instant::now();
        let both = (
            check_project(&layout, &contract, &sources),
            review_project(&layout, &standards, &sources),
        );
        both_times.push(start.elapsed());
        assert_eq!(both.0, first);
    }
    println!(
        "{} files ({} KB), {} endpoints: {}; recipes: {}",
        files.len(),
        bytes / 1024,
        contract.endpoints.len(),
        first.summary(),
        first_review.summary()
    );
    for (what, times) in [
        ("check_project", &mut check_times),
        ("quality::review_project", &mut review_times),
    ] {
        times.sort();
        println!(
            "{what}: median of {RUNS} runs {:.2} ms (fastest {:.2} ms, slowest {:.2} ms)",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
        );
    }
    both_times.sort();
    let median = both_times[RUNS / 2];
    println!(
        "both together: median {:.2} ms (fastest {:.2} ms, slowest {:.2} ms); goal ≤ {} ms: {}",
        ms(median),
        ms(both_times[0]),
        ms(both_times[RUNS - 1]),
        GOAL.as_millis(),
        if median <= GOAL { "met" } else { "MISSED" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn model(resource: &str) -> String {
    let mut name = resource.trim_end_matches('s').to_string();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    name
}

/// The project's files and its contract.
fn project() -> (Vec<(String, String)>, Contract) {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut endpoints = Vec::new();
    let mut models = Vec::new();
    let mut models_py = String::from("from datetime import datetime\nfrom typing import Optional\n\nfrom pydantic import BaseModel\n\n");
    let mut main_py = String::from(
        "import os\nimport json\n\nfrom fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\nfrom routers import ",
    );
    main_py.push_str(&RESOURCES.join(", "));
    main_py.push_str("\n\napp = FastAPI(title=\"Bench\")\napp.add_middleware(CORSMiddleware, allow_origins=[\"*\"], allow_methods=[\"*\"], allow_headers=[\"*\"])\n\n");
    let mut api_js = String::from(
        "import axios from 'axios';\n\nconst API_URL = import.meta.env.VITE_API_URL || 'http://localhost:8000';\nconst api = axios.create({ baseURL: `${API_URL}/api` });\n\nasync function request(path, options = {}) {\n  const res = await fetch(`${API_URL}/api${path}`, { headers: { 'Content-Type': 'application/json' }, ...options });\n  if (!res.ok) throw new Error(`Request failed: ${res.status}`);\n  return res.json();\n}\n\n",
    );
    for resource in RESOURCES {
        let model = model(resource);
        models.push(serde_json::json!({"name": model, "fields": [
            {"name": "id", "type": "int"}, {"name": "title", "type": "str"}, {"name": "done", "type": "bool", "default": false}
        ]}));
        for (method, path, action) in [
            ("GET", format!("/api/{resource}"), "list"),
            ("POST", format!("/api/{resource}"), "create"),
            ("PUT", format!("/api/{resource}/{{id}}"), "update"),
            ("DELETE", format!("/api/{resource}/{{id}}"), "delete"),
        ] {
            endpoints.push(serde_json::json!({"method": method, "path": path, "action": action, "model": model}));
        }
        models_py.push_str(&format!(
            "class {model}Create(BaseModel):\n    title: str\n    done: bool = False\n    note: Optional[str] = None\n\n\nclass {model}({model}Create):\n    id: int\n    created: datetime = datetime.now()\n\n\n"
        ));
        main_py.push_str(&format!(
            "app.include_router({resource}.router, prefix=\"/api\")\n"
        ));
        files.push((
            format!("backend/routers/{resource}.py"),
            format!(
                "from typing import List\n\nfrom fastapi import APIRouter, HTTPException\n\nfrom models import {model}, {model}Create\n\nrouter = APIRouter(prefix=\"/{resource}\", tags=[\"{resource}\"])\nitems: dict[int, {model}] = {{}}\n\n\n@router.get(\"\")\ndef list_items() -> List[{model}]:\n    return list(items.values())\n\n\n@router.post(\"\", status_code=201)\ndef create_item(data: {model}Create) -> {model}:\n    item = {model}(id=len(items) + 1, **data.model_dump())\n    items[item.id] = item\n    return item\n\n\n@router.put(\"/{{item_id}}\")\ndef update_item(item_id: int, data: {model}Create) -> {model}:\n    if item_id not in items:\n        raise HTTPException(status_code=404, detail=\"Not found\")\n    items[item_id] = {model}(id=item_id, **data.model_dump())\n    return items[item_id]\n\n\n@router.delete(\"/{{item_id}}\")\ndef delete_item(item_id: int):\n    items.pop(item_id, None)\n    return {{\"ok\": True}}\n"
            ),
        ));
        api_js.push_str(&format!(
            "export const list{model}s = () => api.get('/{resource}').then((r) => r.data);\nexport const create{model} = (item) => request('/{resource}', {{ method: 'POST', body: JSON.stringify(item) }});\nexport async function update{model}(id, item) {{\n  const res = await fetch(`${{API_URL}}/api/{resource}/${{id}}`, {{ method: 'PUT', body: JSON.stringify(item) }});\n  return res.json();\n}}\nexport const delete{model} = (id) => api.delete(`/{resource}/${{id}}`);\n\n"
        ));
    }
    files.push(("backend/main.py".into(), main_py));
    files.push(("backend/models.py".into(), models_py));
    files.push(("backend/routers/__init__.py".into(), String::new()));
    files.push((
        "backend/requirements.txt".into(),
        "fastapi==0.115.0\nuvicorn[standard]==0.30.6\npydantic>=2\n".into(),
    ));
    files.push(("frontend/src/api.js".into(), api_js));
    files.push((
        "frontend/index.html".into(),
        "<!doctype html>\n<html><head><meta charset=\"UTF-8\" /><title>Bench</title></head>\n<body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n".into(),
    ));
    files.push((
        "frontend/package.json".into(),
        "{\n  \"name\": \"bench\",\n  \"scripts\": { \"dev\": \"vite\" },\n  \"dependencies\": { \"axios\": \"^1\", \"react\": \"^18\", \"react-dom\": \"^18\", \"react-router-dom\": \"^6\" },\n  \"devDependencies\": { \"vite\": \"^5\", \"@vitejs/plugin-react\": \"^4\" }\n}\n".into(),
    ));
    files.push((
        "frontend/vite.config.js".into(),
        "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\n\nexport default defineConfig({ plugins: [react()] });\n".into(),
    ));
    files.push((
        "frontend/src/index.css".into(),
        "body { margin: 0; font-family: sans-serif; }\n".into(),
    ));
    files.push((
        "frontend/src/main.jsx".into(),
        "import React from 'react';\nimport ReactDOM from 'react-dom/client';\nimport { BrowserRouter } from 'react-router-dom';\nimport App from './App';\nimport './index.css';\n\nReactDOM.createRoot(document.getElementById('root')).render(<BrowserRouter><App /></BrowserRouter>);\n".into(),
    ));
    // Pages and components fill the project up to 60 files.
    let mut app = String::from("import { Routes, Route } from 'react-router-dom';\n");
    let mut routes = String::new();
    let mut n = 0;
    while files.len() + 1 < 60 {
        let resource = RESOURCES[n % RESOURCES.len()];
        let model = model(resource);
        let name = format!("{model}Panel{n}");
        app.push_str(&format!("import {name} from './components/{name}';\n"));
        routes.push_str(&format!(
            "        <Route path=\"/{resource}/{n}\" element={{<{name} />}} />\n"
        ));
        files.push((
            format!("frontend/src/components/{name}.jsx"),
            component(&name, &model),
        ));
        n += 1;
    }
    app.push_str(&format!(
        "\nexport default function App() {{\n  return (\n    <main>\n      <Routes>\n{routes}      </Routes>\n    </main>\n  );\n}}\n"
    ));
    files.push(("frontend/src/App.jsx".into(), app));
    let contract = serde_json::from_value(serde_json::json!({
        "models": models,
        "endpoints": endpoints,
        "notes": "one page per resource",
    }))
    .expect("the contract reads");
    (files, contract)
}

fn component(name: &str, model: &str) -> String {
    format!(
        r#"import {{ useEffect, useState }} from 'react';
import {{ list{model}s, create{model}, update{model}, delete{model} }} from '../api';

export default function {name}() {{
  const [items, setItems] = useState([]);
  const [title, setTitle] = useState('');
  const [error, setError] = useState(null);

  useEffect(() => {{
    list{model}s().then(setItems).catch((e) => setError(e.message));
  }}, []);

  const add = async (event) => {{
    event.preventDefault();
    if (!title.trim()) return;
    const item = await create{model}({{ title, done: false }});
    setItems([...items, item]);
    setTitle('');
  }};

  const toggle = async (item) => {{
    const saved = await update{model}(item.id, {{ ...item, done: !item.done }});
    setItems(items.map((i) => (i.id === saved.id ? saved : i)));
  }};

  const remove = async (id) => {{
    await delete{model}(id);
    setItems(items.filter((i) => i.id !== id));
  }};

  return (
    <section className="panel">
      <h2>{name}</h2>
      {{error && <p className="error">{{error}}</p>}}
      <form onSubmit={{add}}>
        <input value={{title}} onChange={{(e) => setTitle(e.target.value)}} placeholder="New item" />
        <button type="submit">Add</button>
      </form>
      <ul>
        {{items.map((item) => (
          <li key={{item.id}}>
            <input type="checkbox" checked={{item.done}} onChange={{() => toggle(item)}} />
            <span>{{item.title}}</span>
            <button onClick={{() => remove(item.id)}}>Delete</button>
          </li>
        ))}}
      </ul>
    </section>
  );
}}
"#
    )
}
