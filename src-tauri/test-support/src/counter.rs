//! The counter app: a four-file React project the scripted LLM writes for the CLI, window and
//! process tests, with the plan that names it.

use bucketforge_scripted_llm::{Reply, Script};

/// Its files, as the scripted LLM writes them.
pub const FILES: [(&str, &str); 5] = [
    ("index.html", "<!doctype html>\n<html><head><title>Counter</title></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n"),
    ("package.json", "{\"name\":\"counter\",\"private\":true,\"scripts\":{\"dev\":\"vite\"},\"dependencies\":{\"react\":\"^19.0.0\",\"react-dom\":\"^19.0.0\"},\"devDependencies\":{\"vite\":\"^6.0.0\",\"@vitejs/plugin-react\":\"^4.3.4\"}}\n"),
    ("src/main.jsx", "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\ncreateRoot(document.getElementById('root')).render(<App />);\n"),
    ("src/App.jsx", "import { useState } from 'react';\nexport default function App() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>Clicked {n} times</button>;\n}\n"),
    ("vite.config.js", "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n"),
];

/// The name the plan gives it unless a test asks for another.
pub const NAME: &str = "Click Counter";

/// A script that answers only requests carrying `api_key`: the plan named `name`, then each
/// file with `reply(path, content)`.
pub fn script(api_key: &str, name: &str, reply: impl Fn(&str, &str) -> Reply) -> Script {
    let files: Vec<_> = FILES
        .iter()
        .map(|(p, _)| serde_json::json!({ "path": p, "purpose": "part of the counter" }))
        .collect();
    let plan = serde_json::json!({
        "name": name, "summary": "Counts clicks.", "stack": "react",
        "contract": "App renders a button that counts its clicks.", "files": files,
    });
    let mut script = Script::new()
        .api_key(api_key)
        .reply("plan", Reply::text(plan.to_string()));
    for (path, content) in FILES {
        script = script.reply(format!("write {path}"), reply(path, content));
    }
    script
}

/// `bucketforge generate` of the counter (the react stack, OpenAI's gpt-4o-mini) for `user`,
/// with JSON output.
pub fn generate_args(user: &str) -> Vec<String> {
    [
        "generate",
        "--idea",
        "A button that counts how often I click it",
        "--stack",
        "react",
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--user",
        user,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
