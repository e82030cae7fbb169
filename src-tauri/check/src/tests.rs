//! The check over whole projects, each rule with the real parsers.

use proptest::prelude::*;

use super::*;

const CONTRACT: &str = r#"{
  "models": [ {"name": "Todo", "fields": [ {"name": "id", "type": "int"},
               {"name": "title", "type": "str"}, {"name": "done", "type": "bool", "default": false} ]} ],
  "endpoints": [
    {"method": "GET",    "path": "/api/todos",      "action": "list",   "model": "Todo"},
    {"method": "POST",   "path": "/api/todos",      "action": "create", "model": "Todo"},
    {"method": "PUT",    "path": "/api/todos/{id}", "action": "update", "model": "Todo"},
    {"method": "DELETE", "path": "/api/todos/{id}", "action": "delete", "model": "Todo"},
    {"method": "GET",    "path": "/api/stats",      "action": "custom", "example": {"total": 0}}
  ],
  "notes": "App holds the list; TodoList shows it"
}"#;

fn contract() -> Contract {
    serde_json::from_str(CONTRACT).unwrap()
}

fn fullstack_layout() -> Layout {
    Layout {
        frontend_root: "frontend/".into(),
        backend_root: Some("backend/".into()),
    }
}

fn react_layout() -> Layout {
    Layout {
        frontend_root: String::new(),
        backend_root: None,
    }
}

/// A project as (path, text) pairs, edited by tests before checking.
#[derive(Clone)]
struct Files(Vec<(String, String)>);

impl Files {
    fn new(files: &[(&str, &str)]) -> Files {
        Files(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }

    fn set(mut self, path: &str, text: &str) -> Files {
        self.0.retain(|(p, _)| p != path);
        self.0.push((path.to_string(), text.to_string()));
        self
    }

    fn without(mut self, path: &str) -> Files {
        self.0.retain(|(p, _)| p != path);
        self
    }

    fn edit(self, path: &str, from: &str, to: &str) -> Files {
        let text = self.text(path).replace(from, to);
        assert_ne!(text, self.text(path), "{from:?} is not in {path}");
        self.set(path, &text)
    }

    fn text(&self, path: &str) -> String {
        self.0
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .unwrap()
    }

    fn check(&self, layout: &Layout, contract: &Contract) -> CheckReport {
        let files: Vec<SourceFile<'_>> = self
            .0
            .iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        check_project(layout, contract, &files)
    }

    fn check_fullstack(&self) -> CheckReport {
        self.check(&fullstack_layout(), &contract())
    }
}

const MAIN_PY: &str = r#"import json
import sqlite3
from datetime import datetime
from typing import List

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware

from models import Todo, TodoCreate
from routers import stats

app = FastAPI(title="Todo List")
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])

todos: dict[int, Todo] = {}


@app.get("/api/todos")
def list_todos() -> List[Todo]:
    return list(todos.values())


@app.post("/api/todos", status_code=201)
def create_todo(data: TodoCreate) -> Todo:
    todo = Todo(id=len(todos) + 1, **data.model_dump())
    todos[todo.id] = todo
    return todo


@app.put("/api/todos/{todo_id}")
def update_todo(todo_id: int, data: TodoCreate) -> Todo:
    if todo_id not in todos:
        raise HTTPException(status_code=404, detail="Not found")
    todos[todo_id] = Todo(id=todo_id, **data.model_dump())
    return todos[todo_id]


@app.delete("/api/todos/{todo_id}")
def delete_todo(todo_id: int):
    todos.pop(todo_id, None)
    return {"ok": True, "at": datetime.now().isoformat(), "dump": json.dumps({})}


app.include_router(stats.router, prefix="/api")
"#;

const MODELS_PY: &str = r#"from pydantic import BaseModel


class TodoCreate(BaseModel):
    title: str
    done: bool = False


class Todo(TodoCreate):
    id: int
"#;

const STATS_PY: &str = r#"from fastapi import APIRouter

from models import Todo

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/")
def stats() -> dict:
    return {"total": 0}
"#;

const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Todo List</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.jsx"></script>
  </body>
</html>
"#;

const PACKAGE_JSON: &str = r#"{
  "name": "todo-list",
  "private": true,
  "type": "module",
  "scripts": { "dev": "vite", "build": "vite build" },
  "dependencies": { "axios": "^1.7.0", "react": "^18.3.1", "react-dom": "^18.3.1" },
  "devDependencies": { "@vitejs/plugin-react": "^4.3.0", "vite": "^5.4.0" }
}
"#;

const VITE_CONFIG: &str = r#"import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'path';

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': path.resolve(__dirname, './src') } },
});
"#;

const MAIN_JSX: &str = r#"import React from 'react';
import ReactDOM from 'react-dom/client';
import App from './App';
import './index.css';

ReactDOM.createRoot(document.getElementById('root')).render(<App />);
"#;

const APP_JSX: &str = r#"import { useEffect, useState } from 'react';
import TodoList from './components/TodoList';
import { getTodos, createTodo, updateTodo, deleteTodo, getStats } from './api';

export default function App() {
  const [todos, setTodos] = useState([]);
  const [stats, setStats] = useState({ total: 0 });
  useEffect(() => {
    getTodos().then(setTodos);
    getStats().then(setStats);
  }, []);
  const add = async (title) => setTodos([...todos, await createTodo({ title, done: false })]);
  const toggle = async (todo) => {
    const saved = await updateTodo(todo.id, { ...todo, done: !todo.done });
    setTodos(todos.map((t) => (t.id === saved.id ? saved : t)));
  };
  const remove = async (id) => {
    await deleteTodo(id);
    setTodos(todos.filter((t) => t.id !== id));
  };
  return (
    <main>
      <p>{stats.total} todos</p>
      <button onClick={() => add('New')}>Add</button>
      <TodoList todos={todos} onToggle={toggle} onDelete={remove} />
    </main>
  );
}
"#;

const API_JS: &str = r#"import axios from 'axios';

const API_URL = import.meta.env.VITE_API_URL || 'http://localhost:8000';

const api = axios.create({ baseURL: `${API_URL}/api` });

async function request(path, options = {}) {
  const res = await fetch(`${API_URL}${path}`, { headers: { 'Content-Type': 'application/json' }, ...options });
  if (!res.ok) throw new Error(`Request failed: ${res.status}`);
  return res.json();
}

export const getTodos = () => api.get('/todos').then((r) => r.data);

export const createTodo = (todo) => api.post('/todos', todo).then((r) => r.data);

export async function updateTodo(id, todo) {
  const res = await fetch(`${API_URL}/api/todos/${id}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(todo),
  });
  return res.json();
}

export const deleteTodo = (id) => fetch(`${API_URL}/api/todos/${id}`, { method: 'DELETE' });

export const getStats = () => request('/api/stats');
"#;

const TODO_LIST_JSX: &str = r#"import TodoItem from './TodoItem';

export default function TodoList({ todos, onToggle, onDelete }) {
  return (
    <ul>
      {todos.map((todo) => (
        <TodoItem key={todo.id} todo={todo} onToggle={onToggle} onDelete={onDelete} />
      ))}
    </ul>
  );
}
"#;

const TODO_ITEM_JSX: &str = r#"export default function TodoItem({ todo, onToggle, onDelete }) {
  return (
    <li>
      <input type="checkbox" checked={todo.done} onChange={() => onToggle(todo)} />
      {todo.title}
      <button onClick={() => onDelete(todo.id)}>Delete</button>
    </li>
  );
}
"#;

fn fullstack() -> Files {
    Files::new(&[
        ("backend/main.py", MAIN_PY),
        ("backend/models.py", MODELS_PY),
        ("backend/routers/__init__.py", ""),
        ("backend/routers/stats.py", STATS_PY),
        (
            "backend/requirements.txt",
            "fastapi==0.115.0\nuvicorn[standard]==0.30.6\n",
        ),
        ("frontend/index.html", INDEX_HTML),
        ("frontend/package.json", PACKAGE_JSON),
        ("frontend/vite.config.js", VITE_CONFIG),
        ("frontend/src/main.jsx", MAIN_JSX),
        ("frontend/src/index.css", "body { margin: 0; }\n"),
        ("frontend/src/App.jsx", APP_JSX),
        ("frontend/src/api.js", API_JS),
        ("frontend/src/components/TodoList.jsx", TODO_LIST_JSX),
        ("frontend/src/components/TodoItem.jsx", TODO_ITEM_JSX),
    ])
}

/// A react-stack project (no backend) with the given extra files.
fn react(extra: &[(&str, &str)]) -> Files {
    let mut files = Files::new(&[
        ("index.html", INDEX_HTML),
        ("package.json", PACKAGE_JSON),
        ("vite.config.js", VITE_CONFIG),
        ("src/main.jsx", MAIN_JSX),
        ("src/index.css", ""),
        (
            "src/App.jsx",
            "export default function App() { return <p>hi</p>; }\n",
        ),
    ]);
    for (path, text) in extra {
        files = files.set(path, text);
    }
    files
}

fn messages(report: &CheckReport) -> String {
    report
        .problems
        .iter()
        .map(|p| format!("{:?}: {} {:?}", p.kind, p.message, p.fix_in))
        .collect::<Vec<_>>()
        .join("\n")
}

fn only(report: &CheckReport, kind: FitKind) -> &FitProblem {
    assert_eq!(report.problems.len(), 1, "{}", messages(report));
    assert_eq!(report.problems[0].kind, kind, "{}", messages(report));
    &report.problems[0]
}

#[test]
fn a_consistent_fullstack_project_has_no_problems_and_counts_what_it_checked() {
    let report = fullstack().check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
    // main.jsx: ./App, ./index.css; App.jsx: ./components/TodoList, ./api; TodoList: ./TodoItem;
    // main.py: models, routers; stats.py: models.
    assert_eq!(report.imports, 8);
    // react, react-dom, axios, vite, @vitejs/plugin-react; fastapi, pydantic.
    assert_eq!(report.packages, 7);
    // getTodos, createTodo, updateTodo, deleteTodo, and getStats through `request`.
    assert_eq!(report.api_calls, 5);
    assert_eq!(report.routes, 5);
    assert_eq!(
        report.summary(),
        "Checked: 8 imports, 7 packages, 5 API calls, 5 routes"
    );
}

#[test]
fn an_inconsistent_project_reports_each_problem_where_it_can_be_fixed() {
    let files = fullstack()
        .edit(
            "frontend/src/App.jsx",
            "import TodoList from './components/TodoList';",
            "import { TodoList } from './components/TodoList';\nimport TodoForm from './components/TodoForm';\nimport debounce from 'lodash/debounce';",
        )
        .edit("frontend/src/api.js", "api.post('/todos', todo)", "api.patch(`/todos/${todo.id}`, todo)")
        .edit("frontend/index.html", "/src/main.jsx", "/src/index.jsx")
        .edit("frontend/package.json", "\"dev\": \"vite\", ", "")
        .edit("backend/main.py", "import json\n", "import json\nimport numpy as np\n")
        .edit("backend/main.py", "from models import Todo, TodoCreate", "from models import Todo, TodoCreate, TodoUpdate")
        .edit("backend/main.py", "@app.delete(\"/api/todos/{todo_id}\")", "@app.get(\"/\")");
    let report = files.check_fullstack();
    let problem = |kind: FitKind| -> Vec<&FitProblem> {
        report.problems.iter().filter(|p| p.kind == kind).collect()
    };
    let all = messages(&report);

    let missing = problem(FitKind::MissingFile);
    assert_eq!(missing.len(), 1, "{all}");
    assert_eq!(missing[0].fix_in, ["frontend/src/App.jsx"]);
    assert_eq!(
        missing[0].missing_file.as_deref(),
        Some("frontend/src/components/TodoForm.jsx")
    );

    let exports = problem(FitKind::MissingExport);
    assert_eq!(exports.len(), 2, "{all}");
    assert_eq!(
        exports[0].fix_in,
        [
            "frontend/src/App.jsx",
            "frontend/src/components/TodoList.jsx"
        ]
    );
    assert!(
        exports[0]
            .message
            .contains("import TodoList from \"./components/TodoList\""),
        "{all}"
    );
    assert_eq!(exports[1].fix_in, ["backend/models.py", "backend/main.py"]);
    assert!(exports[1].message.contains("`TodoUpdate`"), "{all}");

    let npm = problem(FitKind::UndeclaredPackage);
    assert_eq!(npm.len(), 1, "{all}");
    assert_eq!(
        npm[0].fix_in,
        ["frontend/src/App.jsx", "frontend/package.json"]
    );
    assert!(npm[0].message.contains("`lodash`"), "{all}");

    let python = problem(FitKind::UndeclaredPythonPackage);
    assert_eq!(python.len(), 1, "{all}");
    assert_eq!(
        python[0].fix_in,
        ["backend/main.py", "backend/requirements.txt"]
    );
    assert!(python[0].message.contains("`numpy`"), "{all}");

    let calls = problem(FitKind::UnknownEndpoint);
    assert_eq!(calls.len(), 1, "{all}");
    assert_eq!(calls[0].fix_in, ["frontend/src/api.js"]);
    assert!(calls[0].message.contains("PATCH /api/todos/{…}"), "{all}");
    assert!(calls[0].message.contains("only for PUT"), "{all}");

    let missing_routes = problem(FitKind::MissingRoute);
    assert_eq!(missing_routes.len(), 1, "{all}");
    assert_eq!(missing_routes[0].fix_in, ["backend/main.py"]);
    assert!(
        missing_routes[0].message.contains("DELETE /api/todos/{id}"),
        "{all}"
    );

    let extra = problem(FitKind::ExtraRoute);
    assert_eq!(extra.len(), 1, "{all}");
    assert_eq!(extra[0].fix_in, ["backend/main.py"]);
    assert!(extra[0].message.contains("GET /,"), "{all}");

    let entry = problem(FitKind::MissingEntryScript);
    assert_eq!(entry.len(), 1, "{all}");
    assert_eq!(entry[0].fix_in, ["frontend/index.html"]);
    assert!(
        entry[0].message.contains("point it at \"/src/main.jsx\""),
        "{all}"
    );

    let dev = problem(FitKind::MissingDevScript);
    assert_eq!(dev.len(), 1, "{all}");
    assert_eq!(dev[0].fix_in, ["frontend/package.json"]);

    assert_eq!(report.problems.len(), 10, "{all}");
    assert!(
        report.summary().starts_with("10 problems: "),
        "{}",
        report.summary()
    );
    // Every file named as a fix exists.
    for problem in &report.problems {
        for file in &problem.fix_in {
            assert!(files.0.iter().any(|(p, _)| p == file), "{file} in {all}");
        }
    }
}

#[test]
fn a_folder_import_resolves_to_its_index_file() {
    let files = react(&[
        ("src/App.jsx", "import { TodoList } from './components';\nexport default function App() { return <TodoList />; }\n"),
        ("src/components/index.jsx", "export { default as TodoList } from './TodoList';\n"),
        ("src/components/TodoList.jsx", "export default function TodoList() { return null; }\n"),
    ]);
    let report = files.check(&react_layout(), &Contract::default());
    assert!(report.is_clean(), "{}", messages(&report));
    assert_eq!(report.imports, 4);
}

#[test]
fn typescript_files_resolve_with_their_own_extensions() {
    let files = react(&[
        ("src/main.tsx", "import App from './App';\nimport { api } from './api';\nimport { format } from './util.js';\nexport { App, api, format };\n"),
        ("src/App.tsx", "import type { Todo } from './types';\nexport default function App(): JSX.Element { const t: Todo[] = []; return <p>{t.length}</p>; }\n"),
        ("src/api.ts", "export const api = { base: '/api' as const };\n"),
        ("src/util.ts", "export function format(n: number): string { return String(n); }\n"),
    ])
    .without("src/main.jsx")
    .without("src/App.jsx")
    .edit("index.html", "/src/main.jsx", "/src/main.tsx");
    let report = files.check(&react_layout(), &Contract::default());
    assert!(report.is_clean(), "{}", messages(&report));
    // `./types` is imported for types only: gone once compiled, not checked.
    assert_eq!(report.imports, 3);
}

#[test]
fn stylesheets_and_images_must_exist_too() {
    let files = react(&[(
        "src/App.jsx",
        "import './App.css';\nimport logo from './assets/logo.svg';\nexport default function App() { return <img src={logo} />; }\n",
    )]);
    let report = files.check(&react_layout(), &Contract::default());
    let missing: Vec<Option<&str>> = report
        .problems
        .iter()
        .map(|p| p.missing_file.as_deref())
        .collect();
    assert_eq!(
        missing,
        [Some("src/App.css"), Some("src/assets/logo.svg")],
        "{}",
        messages(&report)
    );
}

#[test]
fn a_missing_named_export_is_reported_with_what_the_module_has() {
    let files = react(&[
        ("src/App.jsx", "import { formatDate, formatTime } from './utils';\nexport default function App() { return <p>{formatDate()}{formatTime()}</p>; }\n"),
        ("src/utils.js", "export function formatDate() { return ''; }\nexport const parse = () => 1;\n"),
    ]);
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::MissingExport);
    assert_eq!(problem.fix_in, ["src/utils.js", "src/App.jsx"]);
    assert!(
        problem
            .message
            .contains("does not export formatTime (it exports: formatDate, parse)"),
        "{}",
        problem.message
    );
}

#[test]
fn a_default_import_needs_a_default_export() {
    let files = react(&[
        ("src/App.jsx", "import Header from './Header';\nexport default function App() { return <Header />; }\n"),
        ("src/Header.jsx", "export function Header() { return <h1>Hi</h1>; }\n"),
    ]);
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::MissingExport);
    assert_eq!(problem.fix_in, ["src/App.jsx", "src/Header.jsx"]);
    assert!(
        problem
            .message
            .contains("import { Header } from \"./Header\""),
        "{}",
        problem.message
    );
}

#[test]
fn exports_from_elsewhere_are_not_judged() {
    let files = react(&[
        ("src/App.jsx", "import { anything } from './all';\nexport default function App() { return <p>{anything}</p>; }\n"),
        ("src/all.js", "export * from './more';\n"),
        ("src/more.js", "export const anything = 1;\n"),
    ]);
    let report = files.check(&react_layout(), &Contract::default());
    assert!(report.is_clean(), "{}", messages(&report));
}

#[test]
fn a_wrongly_placed_import_points_at_the_file_that_exists() {
    let files = react(&[
        ("src/App.jsx", "import TodoList from './TodoList';\nexport default function App() { return <TodoList />; }\n"),
        ("src/components/TodoList.jsx", "export default function TodoList() { return null; }\n"),
    ]);
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::MissingFile);
    assert_eq!(problem.missing_file, None);
    assert!(
        problem
            .message
            .contains("import it as \"./components/TodoList\""),
        "{}",
        problem.message
    );
}

#[test]
fn bare_imports_need_package_json_and_builtins_and_virtual_modules_do_not() {
    let files = react(&[(
        "src/App.jsx",
        "import { useQuery } from '@tanstack/react-query';\nimport fs from 'node:fs';\nimport { registerSW } from 'virtual:pwa-register';\nimport React from 'react';\nexport default function App() { useQuery(); return null; }\n",
    )]);
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::UndeclaredPackage);
    assert!(
        problem.message.contains("`@tanstack/react-query`"),
        "{}",
        problem.message
    );
    assert_eq!(problem.fix_in, ["src/App.jsx", "package.json"]);
}

#[test]
fn a_project_without_package_json_says_so_once() {
    let files = react(&[("src/App.jsx", "import axios from 'axios';\nimport { a } from 'lodash';\nexport default function App() { return null; }\n")])
        .without("package.json");
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::MissingFile);
    assert_eq!(problem.missing_file.as_deref(), Some("package.json"));
    assert!(problem.fix_in.is_empty());
}

#[test]
fn a_backend_without_requirements_says_so_once() {
    let files = fullstack().without("backend/requirements.txt");
    let report = files.check_fullstack();
    let problem = only(&report, FitKind::MissingFile);
    assert_eq!(
        problem.missing_file.as_deref(),
        Some("backend/requirements.txt")
    );
}

#[test]
fn api_calls_through_import_meta_env_and_template_literals_match_the_contract() {
    let files = fullstack().set(
        "frontend/src/api.js",
        "const API = import.meta.env.VITE_API_URL;\nexport const list = () => fetch(`${API}/api/todos`);\nexport const save = (id, t) => fetch(`${API}/api/todos/${id}`, { method: 'put', body: JSON.stringify(t) });\nexport const direct = () => fetch(import.meta.env.VITE_API_URL + '/api/stats');\nexport const wrong = (id) => fetch(`${API}/api/todo/${id}`);\nexport const elsewhere = () => fetch('https://api.github.com/repos');\nexport const getTodos = list, createTodo = list, updateTodo = list, deleteTodo = list, getStats = list;\n",
    );
    let report = files.check_fullstack();
    assert_eq!(report.api_calls, 4, "{}", messages(&report));
    let problem = only(&report, FitKind::UnknownEndpoint);
    assert!(problem.message.contains("line 5"), "{}", problem.message);
    assert!(
        problem.message.contains("GET /api/todo/{…}"),
        "{}",
        problem.message
    );
    assert!(
        problem
            .message
            .contains("(nearest: PUT /api/todos/{id}, DELETE /api/todos/{id}, GET /api/todos)"),
        "{}",
        problem.message
    );
}

#[test]
fn the_base_url_can_come_from_the_env_file_or_a_constant() {
    let api = "import axios from 'axios';\nconst client = axios.create({ baseURL: import.meta.env.VITE_API_URL });\nexport const getTodos = () => client.get('/todos');\nexport const createTodo = (t) => client.post('todos', t);\nexport const updateTodo = (id, t) => client.put(`/todos/${id}`, t);\nexport const deleteTodo = (id) => client.delete(`/todos/${id}`);\nexport const getStats = () => client.get('/stats');\n";
    let files = fullstack()
        .set("frontend/src/api.js", api)
        .set("frontend/.env", "VITE_API_URL=http://localhost:8000/api\n");
    let report = files.check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
    assert_eq!(report.api_calls, 5);
    // Without the .env file the base has no `/api`: every call misses.
    let report = fullstack()
        .set("frontend/src/api.js", api)
        .check_fullstack();
    assert_eq!(report.problems.len(), 5, "{}", messages(&report));
}

#[test]
fn wrappers_take_their_method_from_the_options_they_are_given() {
    let api = "const BASE = 'http://localhost:8000/api';\nasync function request(endpoint, { method = 'GET', body } = {}) {\n  const res = await fetch(BASE + endpoint, { method, body: JSON.stringify(body) });\n  return res.json();\n}\nconst send = (method, path, body) => fetch(`${BASE}${path}`, { method: method.toUpperCase(), body });\nexport const getTodos = () => request('/todos');\nexport const createTodo = (t) => send('post', '/todos', t);\nexport const updateTodo = (id, t) => send('PUT', `/todos/${id}`, t);\nexport const deleteTodo = (id) => send('DELETE', `/todos/${id}`);\nexport const getStats = () => send('PATCH', '/stats');\n";
    let report = fullstack()
        .set("frontend/src/api.js", api)
        .check_fullstack();
    assert_eq!(report.api_calls, 5, "{}", messages(&report));
    let problem = only(&report, FitKind::UnknownEndpoint);
    assert!(
        problem.message.contains("PATCH /api/stats"),
        "{}",
        problem.message
    );
}

#[test]
fn an_imported_wrapper_and_instance_are_followed_across_files() {
    let files = fullstack()
        .set("frontend/src/client.js", "import axios from 'axios';\nconst API_URL = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:8000';\nexport default axios.create({ baseURL: `${API_URL}/api` });\nexport async function request(path, options) {\n  const r = await fetch(`${API_URL}/api${path}`, options);\n  return r.json();\n}\n")
        .set("frontend/src/api.js", "import client, { request } from './client';\nimport * as raw from './client';\nexport const getTodos = () => client.get('/todos');\nexport const createTodo = (t) => request('/todos', { method: 'POST', body: JSON.stringify(t) });\nexport const updateTodo = (id, t) => raw.request(`/todos/${id}`, { method: 'PUT' });\nexport const deleteTodo = (id) => client.delete(`/todos/${id}`);\nexport const getStats = () => request('/stat');\n");
    let report = files.check_fullstack();
    assert_eq!(report.api_calls, 5, "{}", messages(&report));
    let problem = only(&report, FitKind::UnknownEndpoint);
    assert!(
        problem.message.contains("GET /api/stat,"),
        "{}",
        problem.message
    );
}

#[test]
fn calls_that_are_not_the_api_are_not_counted() {
    let files = fullstack().set(
        "frontend/src/extra.js",
        "const params = new URLSearchParams();\nparams.get('q');\nconst m = new Map();\nm.delete(1);\nfetch('/logo.svg');\nfetch('data.json');\nfetch(`https://example.com/api/todos`);\nfetch(someUrl);\nexport {};\n",
    );
    let report = files.check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
    assert_eq!(report.api_calls, 5);
}

#[test]
fn relative_and_sibling_python_imports_resolve_inside_the_backend() {
    let files = fullstack()
        .set("backend/app/__init__.py", "")
        .set("backend/app/models.py", "from pydantic import BaseModel\nclass Item(BaseModel):\n    id: int\n")
        .set("backend/app/service.py", "from .models import Item\nfrom . import models\nfrom app.models import Item as Same\nimport models as top_models\nfrom models import Todo\n")
        .set("backend/app/broken.py", "from .schemas import Thing\nfrom .models import Missing\nfrom . import nothing\n");
    let report = files.check_fullstack();
    let all = messages(&report);
    assert_eq!(report.problems.len(), 3, "{all}");
    assert_eq!(report.problems[0].kind, FitKind::MissingFile, "{all}");
    assert_eq!(
        report.problems[0].missing_file.as_deref(),
        Some("backend/app/schemas.py")
    );
    assert_eq!(report.problems[1].kind, FitKind::MissingExport, "{all}");
    assert_eq!(
        report.problems[1].fix_in,
        ["backend/app/models.py", "backend/app/broken.py"]
    );
    assert_eq!(report.problems[2].kind, FitKind::MissingExport, "{all}");
    assert!(report.problems[2].message.contains("`nothing`"), "{all}");
}

#[test]
fn third_party_python_imports_need_requirements_and_the_standard_library_does_not() {
    let files = fullstack().set(
        "backend/util.py",
        "from __future__ import annotations\nimport json, sqlite3, datetime, os, uuid, typing, asyncio, logging\nfrom collections import defaultdict\nimport numpy as np\nimport yaml\nfrom dotenv import load_dotenv\nfrom starlette.responses import JSONResponse\nfrom pydantic import BaseModel\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n",
    );
    let report = files.check_fullstack();
    let names: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(report.problems.len(), 3, "{names:#?}");
    assert!(
        names[0].contains("`dotenv` (the python-dotenv package)"),
        "{names:#?}"
    );
    assert!(names[0].contains("add `python-dotenv` there"), "{names:#?}");
    assert!(names[1].contains("`numpy`"), "{names:#?}");
    assert!(
        names[2].contains("`yaml` (the PyYAML package)"),
        "{names:#?}"
    );
    assert!(report
        .problems
        .iter()
        .all(|p| p.kind == FitKind::UndeclaredPythonPackage));

    let declared = files.set(
        "backend/requirements.txt",
        "fastapi\nPyYAML>=6\nnumpy==2.0  # maths\npython_dotenv\n",
    );
    let report = declared.check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
}

#[test]
fn router_prefixes_add_up_across_files() {
    let files = fullstack()
        .set("backend/main.py", "from fastapi import FastAPI\nfrom routers import todos, stats\n\napp = FastAPI()\napp.include_router(todos.router, prefix=\"/api\")\napp.include_router(stats.router, prefix=\"/api\")\n")
        .set("backend/routers/todos.py", "from fastapi import APIRouter\nfrom models import Todo, TodoCreate\n\nrouter = APIRouter(prefix=\"/todos\")\n\n@router.get(\"\")\ndef list_todos(): ...\n\n@router.post(\"/\")\ndef create(data: TodoCreate): ...\n\n@router.api_route(\"/{todo_id}\", methods=[\"PUT\"])\ndef update(todo_id: int): ...\n");
    let report = files.check_fullstack();
    assert_eq!(report.routes, 4);
    let problem = only(&report, FitKind::MissingRoute);
    assert!(
        problem.message.contains("DELETE /api/todos/{id}"),
        "{}",
        problem.message
    );
    assert!(
        problem
            .message
            .contains("`@router.delete(\"/{id}\")` in backend/routers/todos.py"),
        "{}",
        problem.message
    );
    assert_eq!(
        problem.fix_in,
        ["backend/routers/todos.py", "backend/main.py"]
    );
}

#[test]
fn a_router_no_app_includes_is_named_in_the_problem() {
    let files = fullstack().edit(
        "backend/main.py",
        "app.include_router(stats.router, prefix=\"/api\")\n",
        "",
    );
    let report = files.check_fullstack();
    let problem = only(&report, FitKind::MissingRoute);
    assert!(
        problem.message.contains("no app includes that router"),
        "{}",
        problem.message
    );
    assert_eq!(
        problem.fix_in,
        ["backend/main.py", "backend/routers/stats.py"]
    );
}

#[test]
fn a_contract_read_back_from_the_backend_fits_the_project_it_came_from() {
    let files = fullstack();
    let sources: Vec<SourceFile<'_>> = files
        .0
        .iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    let derived = contract_from_backend(&fullstack_layout(), &sources);
    assert_eq!(derived.problems(true), Vec::<String>::new());
    let endpoints: Vec<String> = derived
        .endpoints
        .iter()
        .map(|e| format!("{} {}", e.label(), e.action.as_str()))
        .collect();
    assert_eq!(
        endpoints,
        [
            "GET /api/todos list",
            "POST /api/todos create",
            "PUT /api/todos/{todo_id} update",
            "DELETE /api/todos/{todo_id} custom",
            "GET /api/stats/ custom",
        ]
    );
    let models: Vec<&str> = derived.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(models, ["TodoCreate", "Todo"]);
    let report = files.check(&fullstack_layout(), &derived);
    assert!(report.is_clean(), "{}", messages(&report));
}

#[test]
fn routes_built_at_run_time_are_not_judged() {
    let files = fullstack().edit(
        "backend/routers/stats.py",
        "APIRouter(prefix=\"/stats\"",
        "APIRouter(prefix=settings.STATS",
    );
    let report = files.check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
}

#[test]
fn a_backend_without_an_app_is_one_problem() {
    let files = fullstack().edit(
        "backend/main.py",
        "app = FastAPI(title=\"Todo List\")",
        "app = make_app()",
    );
    let report = files.check_fullstack();
    let route_problems: Vec<&FitProblem> = report
        .problems
        .iter()
        .filter(|p| p.kind == FitKind::MissingRoute)
        .collect();
    assert_eq!(route_problems.len(), 1, "{}", messages(&report));
    assert_eq!(route_problems[0].fix_in, ["backend/main.py"]);
}

#[test]
fn the_react_stack_checks_no_api() {
    let files = react(&[(
        "src/App.jsx",
        "export default function App() { fetch('/api/anything'); return null; }\n",
    )]);
    let report = files.check(&react_layout(), &Contract::default());
    assert!(report.is_clean(), "{}", messages(&report));
    assert_eq!(report.api_calls, 0);
    assert_eq!(report.routes, 0);
}

#[test]
fn index_html_without_a_module_script_is_reported() {
    let files = react(&[]).set(
        "index.html",
        "<html><body><div id=\"root\"></div><script src=\"/src/main.jsx\"></script></body></html>",
    );
    let report = files.check(&react_layout(), &Contract::default());
    let problem = only(&report, FitKind::MissingEntryScript);
    assert_eq!(problem.fix_in, ["index.html"]);
    assert!(
        problem
            .message
            .contains("<script type=\"module\" src=\"/src/main.jsx\">"),
        "{}",
        problem.message
    );
}

#[test]
fn files_that_do_not_parse_are_skipped() {
    let files = fullstack()
        .set(
            "frontend/src/Broken.jsx",
            "import x from './nowhere';\nexport default function ( {\n",
        )
        .set("backend/broken.py", "import numpy\ndef (:\n");
    let report = files.check_fullstack();
    assert!(report.is_clean(), "{}", messages(&report));
}

#[test]
fn the_report_round_trips_through_json() {
    let report = fullstack()
        .edit("frontend/src/App.jsx", "'./api'", "'./apis'")
        .check_fullstack();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"][0]["kind"], "missing_file");
    assert_eq!(json["problems"][0]["missing_file"], "frontend/src/apis.js");
    let back: CheckReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
    let clean = serde_json::to_value(fullstack().check_fullstack()).unwrap();
    assert_eq!(clean["problems"], serde_json::json!([]));
}

#[test]
fn summaries_count_problems_by_kind() {
    let report = CheckReport {
        imports: 1,
        packages: 2,
        api_calls: 3,
        routes: 0,
        problems: vec![
            FitProblem {
                kind: FitKind::MissingFile,
                message: "a".into(),
                fix_in: vec![],
                missing_file: None,
            },
            FitProblem {
                kind: FitKind::UndeclaredPackage,
                message: "b".into(),
                fix_in: vec![],
                missing_file: None,
            },
            FitProblem {
                kind: FitKind::UndeclaredPackage,
                message: "c".into(),
                fix_in: vec![],
                missing_file: None,
            },
        ],
    };
    assert_eq!(
        report.summary(),
        "3 problems: 1 missing file, 2 undeclared npm packages (checked 1 import, 2 packages, 3 API calls)"
    );
    assert!(!report.is_clean());
}

#[test]
fn deeply_nested_code_is_read_or_skipped_without_running_out_of_stack() {
    let levels = 20_000;
    let index = INDEX_HTML.replace("/src/main.jsx", "/src/sum.js");
    let files = Files::new(&[
        ("frontend/package.json", PACKAGE_JSON),
        ("frontend/index.html", &index),
        (
            "backend/chain.py",
            &format!("x = {}\n", vec!["1"; levels].join(" + ")),
        ),
        (
            "backend/nots.py",
            &format!("x = {}1\n", "not ".repeat(levels)),
        ),
        (
            "backend/attrs.py",
            &format!("x = a{}\n", ".b".repeat(levels)),
        ),
        (
            "backend/minus.py",
            &format!("x = {}1\n", "-".repeat(200_000)),
        ),
        (
            "frontend/src/assign.js",
            &format!("let a; a = {}1;\nexport {{ a }};\n", "a = ".repeat(levels)),
        ),
        (
            "frontend/src/arrows.js",
            &format!("export const x = {}1;\n", "() => ".repeat(levels)),
        ),
        (
            "frontend/src/sum.js",
            &format!("export const y = {};\n", vec!["a"; levels].join(" + ")),
        ),
    ]);
    let report = files.check(&fullstack_layout(), &Contract::default());
    assert!(report.is_clean(), "{}", messages(&report));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn junk_never_panics(
        texts in proptest::collection::vec(any::<String>(), 1..8),
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        paths in proptest::collection::vec("[a-zA-Z0-9_./é-]{0,24}", 1..8),
    ) {
        let suffixes = [".jsx", ".py", ".ts", "index.html", "package.json", "requirements.txt", ".env", ""];
        let junk = String::from_utf8_lossy(&bytes).to_string();
        let mut owned: Vec<(String, String)> = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let root = if i % 2 == 0 { "frontend/" } else { "backend/" };
            let text = if i % 3 == 0 { junk.clone() } else { texts[i % texts.len()].clone() };
            owned.push((format!("{root}{path}{}", suffixes[i % suffixes.len()]), text));
        }
        // Real files with junk spliced in, so parsers get past the first token.
        owned.push(("frontend/src/App.jsx".into(), format!("{APP_JSX}{junk}")));
        owned.push(("backend/main.py".into(), format!("{MAIN_PY}{}", texts[0])));
        let files: Vec<SourceFile<'_>> = owned.iter().map(|(path, text)| SourceFile { path, text }).collect();
        for layout in [fullstack_layout(), react_layout(), Layout { frontend_root: "/".into(), backend_root: Some("".into()) }] {
            let report = check_project(&layout, &contract(), &files);
            let _ = report.summary();
        }
    }

    #[test]
    fn edited_projects_never_panic(
        edits in proptest::collection::vec((0usize..64, 0usize..4096, 0usize..64, "[ -~\n]{0,12}"), 1..6),
    ) {
        // Cut, splice and duplicate parts of a real project: text that nearly parses.
        let mut files = fullstack().0;
        for (which, at, len, insert) in edits {
            let index = which % files.len();
            let text = &files[index].1;
            let start = floor_char_boundary(text, at % (text.len() + 1));
            let end = floor_char_boundary(text, (start + len).min(text.len()));
            let edited = format!("{}{insert}{}", &text[..start], &text[end..]);
            files[index].1 = edited;
        }
        let report = Files(files).check_fullstack();
        for problem in &report.problems {
            prop_assert!(!problem.message.is_empty());
        }
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn a_react_frontend_needs_vite_s_react_plugin() {
    assert!(react(&[])
        .check(&react_layout(), &Contract::default())
        .is_clean());
    // No configuration at all: the file is missing, and the run can write it.
    let report = react(&[])
        .without("vite.config.js")
        .check(&react_layout(), &Contract::default());
    let missing = only(&report, FitKind::MissingViteConfig);
    assert_eq!(missing.missing_file.as_deref(), Some("vite.config.js"));
    assert!(missing.fix_in.is_empty());
    assert!(
        missing.message.contains("@vitejs/plugin-react"),
        "{}",
        missing.message
    );
    // A configuration without the plugin is fixed where it is.
    let report = fullstack()
        .set(
            "frontend/vite.config.js",
            "import { defineConfig } from 'vite';\nexport default defineConfig({});\n",
        )
        .check(&fullstack_layout(), &contract());
    let plain = only(&report, FitKind::MissingViteConfig);
    assert_eq!(plain.fix_in, ["frontend/vite.config.js"]);
    assert_eq!(plain.missing_file, None);
    // A frontend without React (plain scripts) needs no plugin.
    let plain_js = Files::new(&[
        ("index.html", INDEX_HTML),
        ("package.json", r#"{"scripts": {"dev": "vite"}}"#),
        ("src/main.js", "document.body.textContent = 'hi';\n"),
    ]);
    assert!(!plain_js
        .check(&react_layout(), &Contract::default())
        .problems
        .iter()
        .any(|p| p.kind == FitKind::MissingViteConfig));
}
