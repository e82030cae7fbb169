//! The change the tests ask of the counter app: the counter (with a README) as generated, then
//! "Add a reset button", which modifies one file, adds one and deletes one.

use bucketforge_scripted_llm::{Reply, Script};

use crate::counter;

/// The counter's files plus a README, as generated (revision 1).
pub fn files() -> Vec<(&'static str, &'static str)> {
    let mut files = counter::FILES.to_vec();
    files.push(("README.md", README));
    files
}

pub const README: &str = "# Counter\n\n1. Install Node.js.\n2. Run `npm install` and `npm run dev`.\n3. Open http://localhost:5173.\n";

pub const REQUEST: &str = "Add a reset button that sets the count back to zero";

/// src/App.jsx after the change.
pub const APP: &str = "import { useState } from 'react';\nimport Reset from './Reset.jsx';\n\nexport default function App() {\n  const [n, setN] = useState(0);\n  return (\n    <main>\n      <button onClick={() => setN(n + 1)}>Clicked {n} times</button>\n      <Reset onReset={() => setN(0)} />\n    </main>\n  );\n}\n";

/// The file the change adds.
pub const RESET: &str = "export default function Reset({ onReset }) {\n  return <button onClick={onReset}>Reset</button>;\n}\n";

/// The change plan: modify src/App.jsx, add src/Reset.jsx, delete README.md.
pub fn change_plan() -> String {
    serde_json::json!({
        "summary": "Adds a Reset button under the counter.",
        "files": [
            {"path": "src/App.jsx", "action": "modify", "purpose": "the counter with its reset button"},
            {"path": "src/Reset.jsx", "action": "add", "purpose": "the reset button"},
            {"path": "README.md", "action": "delete", "purpose": ""},
        ],
    })
    .to_string()
}

/// A script that generates the counter with a README (named `name`), then answers the change.
pub fn script(name: &str) -> Script {
    let entries: Vec<_> = files()
        .iter()
        .map(|(p, _)| serde_json::json!({ "path": p, "purpose": "part of the counter" }))
        .collect();
    let plan = serde_json::json!({
        "name": name, "summary": "Counts clicks.", "stack": "react",
        "contract": "App renders a button that counts its clicks.", "files": entries,
    });
    let mut script = Script::new().reply("plan", Reply::text(plan.to_string()));
    for (path, content) in files() {
        script = script.reply(format!("write {path}"), Reply::text(content));
    }
    script
        .reply("change", Reply::text(change_plan()))
        .reply("edit src/App.jsx", Reply::text(APP))
        .reply("write src/Reset.jsx", Reply::text(RESET))
}
