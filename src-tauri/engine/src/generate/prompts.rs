//! What BucketForge asks the LLM. The first line of every final user message names the task
//! (`TASK: plan`, `TASK: write <path>`, `TASK: fix <path>`, `TASK: continue <path>`).

use crate::plan::{Plan, PlannedFile, Stack};
use crate::validate::Problem;

/// The system prompt shared by every request of a run.
pub fn system(stack: Stack) -> String {
    let packages = crate::preview::PREVIEW_PACKAGES
        .iter()
        .map(|(name, range)| format!("{name} {range}"))
        .collect::<Vec<_>>()
        .join(", ");
    let frontend_packages = format!(
        "The frontend imports only these npm packages, the ones the preview runs, at these versions: {packages}. \
         package.json declares each package the frontend imports with that version range, with vite and @vitejs/plugin-react as devDependencies and a \"dev\" script."
    );
    let stack_rules = match stack {
        Stack::FastapiReact => format!(
            "The project has two parts.\n\
             - backend/: a Python 3.11 FastAPI app in backend/main.py, run with `uvicorn main:app --reload --port 8000` from backend/. \
               It implements exactly the contract's endpoints, each with the method and path written there, and no others. \
               Enable CORS for the frontend's origin (http://localhost:5173). Use pydantic models, named and shaped as the contract's models, for every request and response body. \
               Keep data in memory or in SQLite (standard library sqlite3), created at start-up; no external services. \
               List every package the backend imports in backend/requirements.txt.\n\
             - frontend/: a Vite + React app (frontend/index.html, frontend/src/main.jsx, frontend/src/App.jsx), run with `npm install && npm run dev`. \
               It reaches the backend through one base URL, `import.meta.env.VITE_API_URL ?? \"http://localhost:8000\"`, and calls only the contract's endpoints. \
               {frontend_packages}"
        ),
        Stack::React => format!(
            "The project is a Vite + React single-page app (index.html, src/main.jsx, src/App.jsx) run with `npm install && npm run dev`. \
             Keep data in the browser (state and localStorage); there is no backend. {frontend_packages}"
        ),
    };
    format!(
        "You are BucketForge, a senior full-stack engineer who writes complete, runnable projects for people who cannot code.\n\
         {stack_rules}\n\
         Every file must be complete and correct on its own: no placeholders, no \"TODO\", no \"...\". \
         Use only the names, endpoints and data shapes in the plan's contract, and import only files the plan lists, so the files fit together. \
         Include a README.md that tells a non-coder, step by step, how to install what is needed and run the app."
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
         Rules: at most {max} files; paths are relative, use \"/\", never \"..\"; include {required}, and README.md.{endpoint_rules}",
        stack = stack.as_str(),
        max = crate::plan::MAX_PLANNED_FILES,
        required = required.join(", "),
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

/// The request for one file.
pub fn write(idea: &str, plan: &Plan, file: &PlannedFile) -> String {
    format!(
        "TASK: write {path}\n\
         Write the complete content of {path} ({purpose}).\n\n{context}\n\n\
         Reply with the content of {path} only, in one code block.",
        path = file.path,
        purpose = file.purpose,
        context = context(idea, plan),
    )
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
    format!(
        "TASK: fix {path}\n\
         {path} does not fit with the project's other files:\n- {problems}\n\
         Change only what these problems need; keep everything else as it is.\n\n\
         CURRENT CONTENT:\n```\n{content}\n```\n\n{context}\n\n\
         Reply with the complete corrected content of {path} only, in one code block.",
        path = file.path,
        problems = problems.join("\n- "),
        context = context(idea, plan),
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
            task_line(&write("idea", &p, f)),
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
        let prompt = write("a shared shopping list", &p, &p.files[0]);
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
