// The projects the scripted LLM server writes in the end-to-end tests.

/** The Vite setup every generated frontend has: React's plugin. */
export const VITE_CONFIG = "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\n\nexport default defineConfig({ plugins: [react()] });\n";

/** A small, valid React project: a button that counts its clicks. */
export const COUNTER_FILES = {
  "index.html": "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Click Counter</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n  </body>\n</html>\n",
  "package.json": "{\n  \"name\": \"click-counter\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": { \"dev\": \"vite\" },\n  \"dependencies\": { \"react\": \"^19.0.0\", \"react-dom\": \"^19.0.0\" },\n  \"devDependencies\": { \"vite\": \"^6.0.0\", \"@vitejs/plugin-react\": \"^4.3.4\" }\n}\n",
  "src/main.jsx": "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\nimport './index.css';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n",
  "src/index.css": "body { font-family: system-ui, sans-serif; margin: 2rem; }\nbutton { font-size: 1.25rem; padding: 0.5rem 1rem; }\n",
  "src/App.jsx": "import { useState } from 'react';\nimport Title from './components/Title.jsx';\n\nexport default function App() {\n  const [count, setCount] = useState(0);\n  return (\n    <main>\n      <Title text=\"Click Counter\" />\n      <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>\n    </main>\n  );\n}\n",
  "src/components/Title.jsx": "export default function Title({ text }) {\n  return <h1>{text}</h1>;\n}\n",
  "vite.config.js": VITE_CONFIG,
  "README.md": "# Click Counter\n\n1. Install Node.js.\n2. Run `npm install`, then `npm run dev`.\n",
};

/**
 * A 20-file React project (as in the engine's preview benchmark): a page, an entry, a stylesheet,
 * a shared helper, 14 components, an App, a package.json; and its Vite setup, which the preview
 * does not load.
 */
export const TWENTY_FILES = (() => {
  const files = {
    "index.html": "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Parts</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n  </body>\n</html>\n",
    "package.json": "{\n  \"name\": \"parts\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": { \"dev\": \"vite\" },\n  \"dependencies\": { \"react\": \"^19.0.0\", \"react-dom\": \"^19.0.0\" },\n  \"devDependencies\": { \"vite\": \"^6.0.0\", \"@vitejs/plugin-react\": \"^4.3.4\" }\n}\n",
    "src/main.jsx": "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\nimport './index.css';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n",
    "src/index.css": "body { font-family: system-ui, sans-serif; margin: 2rem; }\nbutton { margin: 0.25rem; }\n",
    "src/lib/format.ts": "export const label = (i: number): string => `Part ${i}`;\n",
    "vite.config.js": VITE_CONFIG,
  };
  const parts = Array.from({ length: 14 }, (_, i) => i);
  for (const i of parts) {
    files[`src/parts/Part${i}.tsx`] =
      `import { useState } from 'react';\nimport { label } from '../lib/format';\n\nexport default function Part${i}() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>{label(${i})}: {n}</button>;\n}\n`;
  }
  files["src/App.jsx"] =
    parts.map((i) => `import Part${i} from './parts/Part${i}';\n`).join("") +
    `\nexport default function App() {\n  return (\n    <main>\n      <h1>Parts</h1>\n      ${parts.map((i) => `<Part${i} />`).join("")}\n    </main>\n  );\n}\n`;
  return files;
})();

/**
 * Replies for `projectScript` that write each of `files` (but those in `except`) as given the
 * first time it is asked for, and with a byte more any time after: a resume that wrote an
 * uploaded file again would change its bytes and its ETag.
 */
export function changedIfWrittenAgain(files, except = []) {
  return Object.fromEntries(
    Object.entries(files)
      .filter(([p]) => !except.includes(p))
      .map(([p, text]) => [`write ${p}`, [{ text, chunk_chars: 16, tokens_per_second: 200 }, { text: `${text}\n`, chunk_chars: 16 }]]),
  );
}

/** The API of the full-stack to-do app: a model, CRUD on it and one custom endpoint. */
export const TODO_CONTRACT = {
  models: [{ name: "Todo", fields: [{ name: "id", type: "int" }, { name: "title", type: "str" }, { name: "done", type: "bool", default: false }] }],
  endpoints: [
    { method: "GET", path: "/api/todos", action: "list", model: "Todo" },
    { method: "POST", path: "/api/todos", action: "create", model: "Todo" },
    { method: "PUT", path: "/api/todos/{id}", action: "update", model: "Todo" },
    { method: "DELETE", path: "/api/todos/{id}", action: "delete", model: "Todo" },
    { method: "GET", path: "/api/stats", action: "custom", example: { total: 3, note: "from the example" } },
  ],
  notes: "App lists, adds, ticks and removes todos.",
};

/** A FastAPI + React to-do app written to TODO_CONTRACT, as the default stack generates one. */
export const TODO_FILES = {
  "backend/main.py": `from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])


class Todo(BaseModel):
    id: int = 0
    title: str
    done: bool = False


todos: dict[int, Todo] = {}


@app.get("/api/todos")
def list_todos() -> list[Todo]:
    return list(todos.values())


@app.post("/api/todos")
def add_todo(todo: Todo) -> Todo:
    todo.id = max(todos, default=0) + 1
    todos[todo.id] = todo
    return todo


@app.put("/api/todos/{id}")
def update_todo(id: int, todo: Todo) -> Todo:
    todos[id] = todo
    return todo


@app.delete("/api/todos/{id}")
def delete_todo(id: int) -> Todo:
    return todos.pop(id)


@app.get("/api/stats")
def stats() -> dict:
    return {"total": len(todos), "note": "counted"}
`,
  "backend/requirements.txt": "fastapi>=0.110\nuvicorn[standard]>=0.29\n",
  "frontend/index.html": COUNTER_FILES["index.html"].replace("Click Counter", "Todos"),
  "frontend/package.json": COUNTER_FILES["package.json"].replace("click-counter", "todos"),
  "frontend/vite.config.js": VITE_CONFIG,
  "frontend/src/main.jsx": "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n",
  "frontend/src/App.jsx": `import { useEffect, useState } from 'react';

const API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';
const json = { 'Content-Type': 'application/json' };

export default function App() {
  const [todos, setTodos] = useState([]);
  const [title, setTitle] = useState('');
  const [stats, setStats] = useState(null);
  const [error, setError] = useState('');
  const load = () => fetch(\`\${API}/api/todos\`).then((r) => r.json()).then(setTodos).catch((e) => setError(String(e)));
  useEffect(() => {
    load();
    fetch(\`\${API}/api/stats\`).then((r) => r.json()).then(setStats).catch((e) => setError(String(e)));
  }, []);
  const add = async (event) => {
    event.preventDefault();
    await fetch(\`\${API}/api/todos\`, { method: 'POST', headers: json, body: JSON.stringify({ title }) });
    setTitle('');
    load();
  };
  const toggle = async (todo) => {
    await fetch(\`\${API}/api/todos/\${todo.id}\`, { method: 'PUT', headers: json, body: JSON.stringify({ ...todo, done: !todo.done }) });
    load();
  };
  const remove = async (todo) => {
    await fetch(\`\${API}/api/todos/\${todo.id}\`, { method: 'DELETE' });
    load();
  };
  return (
    <main>
      <h1>Todos</h1>
      {error && <p id="error">{error}</p>}
      <p id="stats">{stats ? \`\${stats.total} in total, \${stats.note}\` : 'Loading'}</p>
      <form onSubmit={add}>
        <label>New task <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} /></label>
        <button type="submit">Add</button>
      </form>
      <ul id="todos">
        {todos.map((todo) => (
          <li key={todo.id} data-id={todo.id} data-done={String(todo.done)}>
            <label><input type="checkbox" checked={todo.done} onChange={() => toggle(todo)} /> {todo.title}</label>
            <button type="button" onClick={() => remove(todo)}>Remove</button>
          </li>
        ))}
      </ul>
    </main>
  );
}
`,
  "README.md": "# Todos\n\n1. Install Python and Node.js.\n2. Run the backend, then the frontend.\n",
};
