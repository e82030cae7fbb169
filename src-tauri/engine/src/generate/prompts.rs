//! What BucketForge asks the LLM. The first line of every final user message names the task
//! (`TASK: plan`, `TASK: write <path>`, `TASK: fix <path>`, `TASK: continue <path>`,
//! `TASK: change`, `TASK: edit <path>`).

use std::collections::BTreeMap;

use crate::plan::{Plan, PlannedFile, Stack};
use crate::validate::Problem;

/// The system prompt shared by every request of a run: who writes, where the app will run,
/// what it may use, and the recipes every file follows (each one held by a check in
/// `bucketforge_check::quality` or the cross-file check).
pub fn system(stack: Stack) -> String {
    let packages = crate::preview::PREVIEW_PACKAGES
        .iter()
        .map(|(name, range)| format!("{name} {range}"))
        .collect::<Vec<_>>()
        .join(", ");
    let react = crate::preview::standards().react_major;
    let (front, run_steps, data) = match stack {
        Stack::FastapiReact => (
            "frontend/",
            "README.md explains, step by step for Windows, macOS and Linux: install Python 3.11+ and Node.js 20+; \
             in one terminal `cd backend`, create and activate a virtual environment, `pip install -r requirements.txt`, \
             `uvicorn main:app --reload --port 8000`; in a second terminal `cd frontend`, `npm install`, `npm run dev`; \
             then open the address Vite prints (http://localhost:5173).",
            "- One API module, frontend/src/api.js: `const API_URL = import.meta.env.VITE_API_URL ?? \"http://localhost:8000\";` \
             and one exported async function per contract endpoint. Each wraps `fetch` in try/catch, checks `response.ok`, \
             and throws an Error with a friendly sentence (\"Could not load your tasks. Is the server running?\"). \
             Components call only these functions and show that message.",
        ),
        Stack::React => (
            "",
            "README.md explains, step by step for Windows, macOS and Linux: install Node.js 20+, then `npm install` and \
             `npm run dev` in the project folder, and open the address Vite prints (http://localhost:5173).",
            "- One storage module, src/storage.js: `load(key, fallback)` and `save(key, value)` wrap localStorage in \
             try/catch (JSON that does not parse gives the fallback). Components never touch localStorage, alert or \
             confirm themselves.",
        ),
    };
    let backend = if stack.has_backend() {
        "BACKEND\n\
         - Python 3.11, FastAPI, pydantic, uvicorn and the standard library only; backend/requirements.txt lists fastapi, uvicorn and pydantic.\n\
         - backend/main.py creates `app = FastAPI()`, implements exactly the contract's endpoints (each with the method and path written there, no others), \
           and uses pydantic models named and shaped as the contract's models for every request and response body.\n\
         - CORS: `app.add_middleware(CORSMiddleware, allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\", allow_methods=[\"*\"], allow_headers=[\"*\"])`.\n\
         - Data in memory, or in SQLite when it must survive a restart: `DB_PATH = Path(__file__).parent / \"app.db\"`; \
           a `get_db()` helper opens a new `sqlite3.connect(DB_PATH)` for each request (never one connection shared by the module); \
           `CREATE TABLE IF NOT EXISTS` at start-up; a few sample rows when a table is empty. No other services.\n"
    } else {
        ""
    };
    format!(
        "You are BucketForge, a senior full-stack engineer who writes complete, runnable projects for people who cannot code.\n\
         WHERE THE APP RUNS\n\
         - In BucketForge's preview: the frontend runs in the browser with the packages below and nothing else{simulated}; \
           there is no internet, so remote images, fonts, scripts and stylesheets never load; alert and confirm work.\n\
         - On the user's computer: {run_steps}\n\
         FRONTEND\n\
         - A Vite + React app in {place}: index.html with `<div id=\"root\">` and `<script type=\"module\" src=\"/src/main.jsx\">`; \
           {root}vite.config.js is `import {{ defineConfig }} from \"vite\"; import react from \"@vitejs/plugin-react\"; export default defineConfig({{ plugins: [react()] }});`; \
           {root}src/main.jsx starts the app with `createRoot(document.getElementById(\"root\")).render(<App />)` from \"react-dom/client\". JSX only in .jsx files.\n\
         - Packages: only these npm packages, the ones the preview runs: {packages}. package.json has \"type\": \"module\", a \"dev\": \"vite\" script, \
           each imported package at that range (react and react-dom ^{react}.0.0), and vite and @vitejs/plugin-react as devDependencies.\n\
         {data}\n\
         - Styling: plain CSS in {root}src/index.css, imported once by main.jsx, with CSS variables for colours; no Tailwind, no CSS framework, no `@apply`.\n\
         - Design: one primary colour plus neutral greys; mobile-first layouts that widen on larger screens; visible focus outlines; \
           a <label> for every input, select and textarea; alt text on every image; the system font stack and inline SVG or lucide-react icons, \
           never remote images or fonts; a loading state, an empty state with a hint, and an error state wherever data loads; a few sample items so the app never starts empty.\n\
         {backend}\
         SCOPE AND SIZE\n\
         - 3 to 5 core features, done well. Components of about 150 lines at most; one default-exported component per file, named like the file (TodoList.jsx exports TodoList).\n\
         - Every file is complete and correct on its own: no placeholders, no \"TODO\", no \"...\". \
           Use only the names, endpoints and data shapes in the plan's contract, and import only files the plan lists, so the files fit together. \
           When a request shows the exports of files this one may import, use exactly those names.\n\
         - README.md tells a non-coder how to install what is needed and run the app.",
        simulated = if stack.has_backend() {
            "; the backend is simulated from the contract (each endpoint answers as its action says, data kept in memory)"
        } else {
            "; localStorage is kept in memory"
        },
        root = front,
        place = if front.is_empty() { "the project's root" } else { front },
    )
}

/// The plan request for an idea.
pub fn plan(idea: &str, name: Option<&str>, stack: Stack) -> String {
    let required: Vec<String> = stack
        .required_files()
        .iter()
        .map(|alternatives| alternatives.join(" or "))
        .collect();
    let name_line = match name {
        Some(name) => format!("The user named the project: {name}\n"),
        None => String::new(),
    };
    let contract = if stack.has_backend() {
        "{\"models\": [{\"name\": \"Todo\", \"fields\": [{\"name\": \"id\", \"type\": \"int\"}, \
         {\"name\": \"title\", \"type\": \"str\"}, {\"name\": \"done\", \"type\": \"bool\", \"default\": false}]}], \
         \"endpoints\": [{\"method\": \"GET\", \"path\": \"/api/todos\", \"action\": \"list\", \"model\": \"Todo\"}, \
         {\"method\": \"POST\", \"path\": \"/api/todos\", \"action\": \"create\", \"model\": \"Todo\"}, \
         {\"method\": \"PUT\", \"path\": \"/api/todos/{id}\", \"action\": \"update\", \"model\": \"Todo\"}, \
         {\"method\": \"DELETE\", \"path\": \"/api/todos/{id}\", \"action\": \"delete\", \"model\": \"Todo\"}, \
         {\"method\": \"GET\", \"path\": \"/api/stats\", \"action\": \"custom\", \"example\": {\"total\": 0}}], \
         \"notes\": \"the React component tree with props; file, function and variable names the files share\"}"
    } else {
        "{\"models\": [the data kept in the browser, as models with fields], \"endpoints\": [], \
         \"notes\": \"the React component tree with props; file, function and variable names the files share\"}"
    };
    let endpoint_rules = if stack.has_backend() {
        " In the contract, every endpoint's action is one of list, get, create, update, delete (each with the \"model\" it works on) \
         or custom (with an \"example\" response); paths start with /api and name their parameters in braces."
    } else {
        " The contract has no endpoints: there is no backend."
    };
    format!(
        "TASK: plan\n\
         Plan a complete project for this idea.\n\n\
         IDEA:\n{idea}\n\n{name_line}\
         Reply with one JSON object and nothing else, in this shape:\n\
         {{\"name\": \"short project name\", \"summary\": \"one paragraph for the user\", \"stack\": \"{stack}\", \
         \"contract\": {contract}, \
         \"files\": [{{\"path\": \"relative/path\", \"purpose\": \"what this file does\"}}]}}\n\
         Rules: 3 to 5 core features; at most {max} files; paths are relative, use \"/\", never \"..\"; include {required}, {front}vite.config.js, and README.md; \
         list first the files others import (the API or storage module, the backend's models).{endpoint_rules}",
        stack = stack.as_str(),
        max = crate::plan::MAX_PLANNED_FILES,
        required = required.join(", "),
        front = stack.frontend_root(),
    )
}

/// The follow-up when a plan could not be used.
pub fn plan_repair(problems: &[String]) -> String {
    format!(
        "TASK: plan\n\
         That plan cannot be used:\n- {}\n\
         Reply with the corrected plan as one JSON object and nothing else.",
        problems.join("\n- ")
    )
}

fn context(idea: &str, plan: &Plan) -> String {
    let files: Vec<String> = plan
        .files
        .iter()
        .map(|f| format!("- {}: {}", f.path, f.purpose))
        .collect();
    format!(
        "IDEA:\n{idea}\n\nPROJECT: {}\n{}\n\nCONTRACT:\n{}\n\nFILES:\n{}",
        plan.name,
        plan.summary,
        plan.contract.to_prompt_json(),
        files.join("\n")
    )
}

/// The request for one file. `shared` holds the export lines of the files written before it
/// that others import (path, lines), so it uses their names exactly.
pub fn write(
    idea: &str,
    plan: &Plan,
    file: &PlannedFile,
    shared: &[(String, Vec<String>)],
) -> String {
    let recipe = file_recipe(&file.path, plan.stack)
        .map(|r| format!("RECIPE FOR THIS FILE: {r}\n\n"))
        .unwrap_or_default();
    let exports: Vec<String> = shared
        .iter()
        .filter(|(path, lines)| *path != file.path && !lines.is_empty())
        .map(|(path, lines)| format!("{path}:\n{}", lines.join("\n")))
        .collect();
    let exports = if exports.is_empty() {
        String::new()
    } else {
        format!(
            "EXPORTS OF FILES ALREADY WRITTEN (import these names exactly):\n{}\n\n",
            exports.join("\n\n")
        )
    };
    format!(
        "TASK: write {path}\n\
         Write the complete content of {path} ({purpose}).\n\n{recipe}{exports}{context}\n\n\
         Reply with the content of {path} only, in one code block.",
        path = file.path,
        purpose = file.purpose,
        context = context(idea, plan),
    )
}

/// The recipe a file of this name follows, in one or two sentences: the part of the system
/// prompt that matters most for it.
fn file_recipe(path: &str, stack: Stack) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    Some(match (name, stem) {
        ("vite.config.js", _) => "exactly `import { defineConfig } from \"vite\";\nimport react from \"@vitejs/plugin-react\";\n\nexport default defineConfig({ plugins: [react()] });`",
        ("main.jsx" | "main.tsx", _) => "import React's `createRoot` from \"react-dom/client\", the App and ./index.css; `createRoot(document.getElementById(\"root\")).render(<App />)`.",
        ("package.json", _) => "\"type\": \"module\", a \"dev\": \"vite\" script, every package the frontend imports at the preview's range (react and react-dom at the major version the system prompt names), vite and @vitejs/plugin-react in devDependencies.",
        ("index.html", _) => "`<div id=\"root\"></div>` and `<script type=\"module\" src=\"/src/main.jsx\"></script>`; no remote scripts, stylesheets or fonts.",
        ("main.py", _) if stack.has_backend() => "`app = FastAPI()`; CORSMiddleware with `allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\"`; exactly the contract's endpoints; SQLite, if used, at `Path(__file__).parent / \"app.db\"` with a connection per request and `CREATE TABLE IF NOT EXISTS`.",
        ("requirements.txt", _) => "fastapi, uvicorn[standard] and pydantic, one per line, with minimum versions.",
        ("README.md", _) => "numbered steps for Windows, macOS and Linux: what to install, the commands to start the app, the address to open; what the app does, in two sentences.",
        (_, "api") => "`const API_URL = import.meta.env.VITE_API_URL ?? \"http://localhost:8000\";` then one exported async function per endpoint: fetch inside try/catch, check `response.ok`, throw an Error with a friendly sentence on any failure.",
        (_, "storage") => "export `load(key, fallback)` and `save(key, value)`, each wrapping localStorage and JSON in try/catch.",
        (_, "index") if name.ends_with(".css") => "plain CSS: CSS variables for one primary colour and neutral greys, the system font stack, mobile-first rules with a wider layout from 640px, visible :focus-visible outlines.",
        _ if name.ends_with(".jsx") || name.ends_with(".tsx") => "one default-exported component named like the file, about 150 lines at most; a <label> for every field, alt text on images; loading, empty and error states where it shows data; calls the API or storage module, never fetch or localStorage directly.",
        _ => return None,
    })
}

/// Whether other files are likely to import this one (the API or storage module, backend
/// models): such files are written first, and their exports shown to the rest.
pub fn is_shared(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    let code = matches!(extension, "js" | "ts" | "mjs" | "py");
    const STEMS: [&str; 11] = [
        "api",
        "client",
        "storage",
        "store",
        "db",
        "database",
        "models",
        "schemas",
        "types",
        "constants",
        "utils",
    ];
    code && (STEMS.contains(&stem) || ["/lib/", "/services/"].iter().any(|f| path.contains(f)))
}

/// The lines of a file that declare what it exports: `export …` lines of a script, the
/// top-level `def`, `class` and names of a Python module. At most 40.
pub fn export_lines(path: &str, content: &str) -> Vec<String> {
    let python = path.ends_with(".py");
    content
        .lines()
        .filter(|line| {
            if python {
                let top = !line.starts_with([' ', '\t', '#', '@', ')', ']', '}']);
                top && (line.starts_with("def ")
                    || line.starts_with("async def ")
                    || line.starts_with("class ")
                    || line.split_once(['=', ':']).is_some_and(|(name, _)| {
                        let name = name.trim();
                        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                    }))
            } else {
                line.starts_with("export ")
            }
        })
        .map(|line| line.trim_end().trim_end_matches('{').trim_end().to_string())
        .take(40)
        .collect()
}

/// The repair request for a file a parser rejected.
pub fn fix(
    idea: &str,
    plan: &Plan,
    file: &PlannedFile,
    content: &str,
    problem: &Problem,
) -> String {
    format!(
        "TASK: fix {path}\n\
         The parser rejected {path}: {problem}\n\n\
         CURRENT CONTENT:\n```\n{content}\n```\n\n{context}\n\n\
         Reply with the complete corrected content of {path} only, in one code block.",
        path = file.path,
        context = context(idea, plan),
    )
}

/// The repair request for a file that does not fit with the others: each of `problems` in
/// plain words, as the cross-file check found them.
pub fn fit_fix(
    idea: &str,
    plan: &Plan,
    file: &PlannedFile,
    content: &str,
    problems: &[String],
) -> String {
    targeted_fix(
        idea,
        plan,
        file,
        content,
        "does not fit with the project's other files",
        problems,
    )
}

/// The repair request for a file that departs from a recipe in a way that breaks the app:
/// each finding with its line.
pub fn quality_fix(
    idea: &str,
    plan: &Plan,
    file: &PlannedFile,
    content: &str,
    problems: &[String],
) -> String {
    targeted_fix(idea, plan, file, content, "would break the app", problems)
}

fn targeted_fix(
    idea: &str,
    plan: &Plan,
    file: &PlannedFile,
    content: &str,
    why: &str,
    problems: &[String],
) -> String {
    format!(
        "TASK: fix {path}\n\
         {path} {why}:\n- {problems}\n\
         Change only what these problems need; keep everything else as it is.\n\n\
         CURRENT CONTENT:\n```\n{content}\n```\n\n{context}\n\n\
         Reply with the complete corrected content of {path} only, in one code block.",
        path = file.path,
        problems = problems.join("\n- "),
        context = context(idea, plan),
    )
}

/// The most bytes of file content a change request carries; a larger project sends the files
/// others import in full and only the names, purposes and sizes of the rest (each file the
/// change plan names is sent in full with its own `TASK: edit` anyway).
pub const CHANGE_CONTEXT_BYTES: usize = 96 * 1024;

/// The request for a change plan: the user's words, the plan with its contract, every file
/// with its purpose and size, and their content within [`CHANGE_CONTEXT_BYTES`].
pub fn change(request: &str, plan: &Plan, files: &BTreeMap<String, String>) -> String {
    let purposes: std::collections::HashMap<&str, &str> = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.purpose.as_str()))
        .collect();
    let listing: Vec<String> = files
        .iter()
        .map(|(path, text)| {
            format!(
                "- {path} ({} bytes): {}",
                text.len(),
                purposes
                    .get(path.as_str())
                    .copied()
                    .unwrap_or("part of the project")
            )
        })
        .collect();
    let total: usize = files.values().map(String::len).sum();
    let sent: Vec<(&String, &String)> = if total <= CHANGE_CONTEXT_BYTES {
        files.iter().collect()
    } else {
        files
            .iter()
            .filter(|(path, _)| is_shared(path) || is_entry(path))
            .collect()
    };
    let contents: Vec<String> = sent
        .iter()
        .map(|(path, text)| format!("{path}:\n```\n{text}\n```"))
        .collect();
    let left_out = if sent.len() < files.len() {
        "\nOnly the files others import are shown; the rest are listed above by purpose.\n"
    } else {
        ""
    };
    format!(
        "TASK: change\n\
         The user wants to change their existing project.\n\n\
         CHANGE REQUESTED:\n{request}\n\n\
         PROJECT: {name}\n{summary}\n\n\
         CONTRACT:\n{contract}\n\n\
         FILES:\n{listing}\n\n\
         CONTENT:\n{contents}\n{left_out}\n\
         Reply with one JSON object and nothing else, in this shape:\n\
         {{\"summary\": \"one or two sentences for the user: what the change does\", \
         \"contract\": (only if the change alters the API or the data: the whole contract after it), \
         \"files\": [{{\"path\": \"relative/path\", \"action\": \"add|modify|delete\", \"purpose\": \"what this file does after the change\"}}]}}\n\
         Rules: name only the files the change needs; every other file stays exactly as it is. \
         \"modify\" and \"delete\" name files listed above, \"add\" new ones. \
         Keep the required files and the project's stack.",
        name = plan.name,
        summary = plan.summary,
        contract = plan.contract.to_prompt_json(),
        listing = listing.join("\n"),
        contents = contents.join("\n\n"),
    )
}

/// The follow-up when a change plan could not be used.
pub fn change_repair(problems: &[String]) -> String {
    format!(
        "TASK: change\n\
         That change plan cannot be used:\n- {}\n\
         Reply with the corrected change plan as one JSON object and nothing else.",
        problems.join("\n- ")
    )
}

/// The request for the new version of one file a change modifies: its current content and
/// the request; the answer is the complete new content.
pub fn edit(
    request: &str,
    summary: &str,
    plan: &Plan,
    file: &PlannedFile,
    content: &str,
) -> String {
    format!(
        "TASK: edit {path}\n\
         Change {path} ({purpose}) for this request.\n\n\
         CHANGE REQUESTED:\n{request}\n\n\
         THE CHANGE AS PLANNED:\n{summary}\n\n\
         CURRENT CONTENT:\n```\n{content}\n```\n\n{context}\n\n\
         Reply with the complete new content of {path} only, in one code block: every line, \
         the ones the change does not touch included. Never write placeholders such as \
         \"// rest of the code unchanged\" or \"...\".",
        path = file.path,
        purpose = file.purpose,
        context = context(request, plan),
    )
}

/// The repair request for an edit that lost code: the problems, the original and the answer.
pub fn edit_fix(
    request: &str,
    plan: &Plan,
    file: &PlannedFile,
    original: &str,
    answer: &str,
    problems: &[String],
) -> String {
    format!(
        "TASK: fix {path}\n\
         Your new version of {path} cannot replace the current one:\n- {problems}\n\
         Write the complete file again: start from the CURRENT CONTENT, make the change \
         requested, and keep every other line as it is.\n\n\
         CHANGE REQUESTED:\n{request}\n\n\
         CURRENT CONTENT:\n```\n{original}\n```\n\n\
         YOUR ANSWER:\n```\n{answer}\n```\n\n{context}\n\n\
         Reply with the complete new content of {path} only, in one code block.",
        path = file.path,
        problems = problems.join("\n- "),
        context = context(request, plan),
    )
}

/// The files every other file is reached from (the page, the app's entry points).
fn is_entry(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "index.html" | "main.jsx" | "main.tsx" | "App.jsx" | "App.tsx" | "main.py" | "package.json"
    )
}

/// The request to go on with a file whose answer was cut off at the token limit.
pub fn continue_file(file: &PlannedFile) -> String {
    format!(
        "TASK: continue {path}\n\
         Your answer was cut off. Continue {path} exactly where it stopped: do not repeat what you \
         already wrote, do not start a new code block, add no explanation.",
        path = file.path
    )
}

/// The task line that starts a request, e.g. `TASK: write backend/main.py`.
pub fn task_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "Todo".into(),
            summary: "Tasks.".into(),
            stack: Stack::FastapiReact,
            contract: serde_json::from_value(serde_json::json!({
                "models": [{ "name": "Todo", "fields": [{ "name": "id", "type": "int" }] }],
                "endpoints": [
                    { "method": "GET", "path": "/api/todos", "action": "list", "model": "Todo" }],
            }))
            .unwrap(),
            files: vec![PlannedFile {
                path: "backend/main.py".into(),
                purpose: "the API".into(),
            }],
        }
    }

    #[test]
    fn every_request_starts_with_its_task_line() {
        let p = plan();
        let f = &p.files[0];
        assert_eq!(
            task_line(&super::plan("todo app", None, Stack::React)),
            "TASK: plan"
        );
        assert_eq!(task_line(&plan_repair(&["x".into()])), "TASK: plan");
        assert_eq!(
            task_line(&write("idea", &p, f, &[])),
            "TASK: write backend/main.py"
        );
        let problem = Problem::at_line("invalid syntax", 3, None);
        assert_eq!(
            task_line(&fix("idea", &p, f, "x", &problem)),
            "TASK: fix backend/main.py"
        );
        assert_eq!(
            task_line(&fit_fix("idea", &p, f, "x", &["imports a file".into()])),
            "TASK: fix backend/main.py"
        );
        assert_eq!(
            task_line(&continue_file(f)),
            "TASK: continue backend/main.py"
        );
    }

    #[test]
    fn file_prompts_carry_the_idea_the_plan_and_the_contract() {
        let p = plan();
        let prompt = write("a shared shopping list", &p, &p.files[0], &[]);
        assert!(prompt.contains("a shared shopping list"));
        assert!(prompt.contains(r#""path":"/api/todos""#), "{prompt}");
        assert!(prompt.contains("- backend/main.py: the API"));
    }

    #[test]
    fn a_fix_request_quotes_the_parser_message_and_line() {
        let p = plan();
        let problem = Problem::at_line("unexpected indent", 7, Some(3));
        let prompt = fix("idea", &p, &p.files[0], "def x():\npass", &problem);
        assert!(prompt.contains("line 7, column 3: unexpected indent"));
        assert!(prompt.contains("def x():\npass"));
    }

    #[test]
    fn the_plan_request_names_the_required_files() {
        let prompt = super::plan("todo", Some("My Todo"), Stack::FastapiReact);
        assert!(prompt.contains("frontend/src/App.jsx or frontend/src/App.tsx"));
        assert!(prompt.contains("The user named the project: My Todo"));
    }

    #[test]
    fn the_prompts_name_the_packages_the_preview_runs_and_the_contract_shape() {
        let system = system(Stack::FastapiReact);
        assert!(
            system.contains("react ^19, react-dom ^19, react-router-dom ^7"),
            "{system}"
        );
        assert!(
            system.contains("exactly the contract's endpoints"),
            "{system}"
        );
        let plan = super::plan("todo", None, Stack::FastapiReact);
        assert!(plan.contains(r#""action": "custom", "example""#), "{plan}");
        let react = super::plan("todo", None, Stack::React);
        assert!(react.contains(r#""endpoints": []"#), "{react}");
    }

    #[test]
    fn a_fit_fix_lists_every_problem_and_the_current_content() {
        let p = plan();
        let prompt = fit_fix(
            "idea",
            &p,
            &p.files[0],
            "import numpy",
            &["imports numpy".into(), "misses GET /api/todos".into()],
        );
        assert!(
            prompt.contains("- imports numpy\n- misses GET /api/todos"),
            "{prompt}"
        );
        assert!(prompt.contains("import numpy"));
    }
}
