//! The plan an LLM returns for an idea: what to build, the shared contract and every file.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use bucketforge_check::quality::{QualityFinding, QualityReport, QualityRule};
pub use bucketforge_check::{
    Action, CheckReport, Contract, Endpoint, Field, FitKind, FitProblem, Layout, Method, Model,
};

/// The kinds of project BucketForge can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// A Python FastAPI backend and a Vite + React frontend.
    #[default]
    FastapiReact,
    /// A Vite + React single-page app.
    React,
}

impl Stack {
    pub fn as_str(self) -> &'static str {
        match self {
            Stack::FastapiReact => "fastapi-react",
            Stack::React => "react",
        }
    }
}

/// One file the plan asks for, and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PlannedFile {
    pub path: String,
    pub purpose: String,
}

/// The plan JSON described in DESIGN.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Plan {
    pub name: String,
    pub summary: String,
    #[serde(default)]
    pub stack: Stack,
    /// Shared with every file prompt: the API's models and endpoints, and notes on the names
    /// the files share. A plain-text contract (older plans) reads as notes.
    #[serde(default)]
    pub contract: Contract,
    pub files: Vec<PlannedFile>,
}

/// The most files one plan may ask for.
pub use crate::limits::MAX_PLANNED_FILES;

impl Stack {
    /// Files every plan of this stack must contain; each entry lists acceptable alternatives.
    pub fn required_files(self) -> &'static [&'static [&'static str]] {
        match self {
            Stack::FastapiReact => &[
                &["backend/main.py"],
                &["backend/requirements.txt"],
                &["frontend/index.html"],
                &["frontend/package.json"],
                &["frontend/src/main.jsx", "frontend/src/main.tsx"],
                &["frontend/src/App.jsx", "frontend/src/App.tsx"],
            ],
            Stack::React => &[
                &["index.html"],
                &["package.json"],
                &["src/main.jsx", "src/main.tsx"],
                &["src/App.jsx", "src/App.tsx"],
            ],
        }
    }

    /// Where the web frontend lives inside the project ("" for the project root).
    pub fn frontend_root(self) -> &'static str {
        match self {
            Stack::FastapiReact => "frontend/",
            Stack::React => "",
        }
    }

    /// Whether the project has a backend, and so a contract with endpoints.
    pub fn has_backend(self) -> bool {
        self == Stack::FastapiReact
    }

    /// Where each part of a project of this stack lives, for the cross-file check.
    pub fn layout(self) -> Layout {
        Layout {
            frontend_root: self.frontend_root().to_string(),
            backend_root: self.has_backend().then(|| "backend/".to_string()),
        }
    }
}

impl std::str::FromStr for Stack {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "fastapi-react" => Ok(Stack::FastapiReact),
            "react" => Ok(Stack::React),
            other => Err(crate::Error::InvalidName {
                what: "stack",
                value: other.to_string(),
                reason: "choose “fastapi-react” or “react”",
            }),
        }
    }
}

/// Reads a plan from an LLM answer: bare JSON, or JSON inside a code fence with chatter around.
/// `Err` lists every reason the plan can't be used, ready for a repair prompt.
pub fn parse_plan(answer: &str, stack: Stack) -> Result<Plan, Vec<String>> {
    let json = json_object_in(answer).ok_or_else(|| {
        vec![
            "the answer contains no JSON object; reply with the plan as one JSON object"
                .to_string(),
        ]
    })?;
    let plan: Plan = serde_json::from_str(json)
        .map_err(|e| vec![format!("the JSON does not match the plan format: {e}")])?;
    let problems = plan.problems(stack);
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// The JSON object in an answer: a fenced block's content if there is one, else the text from
/// the first `{` to the last `}`.
pub(crate) fn json_object_in(answer: &str) -> Option<&str> {
    let text = crate::answer::fenced_block(answer).unwrap_or(answer);
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (start < end).then(|| &text[start..=end])
}

impl Plan {
    /// Everything wrong with this plan for `stack`; empty when it can be generated.
    pub fn problems(&self, stack: Stack) -> Vec<String> {
        let mut problems = Vec::new();
        if self.stack != stack {
            problems.push(format!(
                "“stack” is “{}” but this project is “{}”",
                self.stack.as_str(),
                stack.as_str()
            ));
        }
        for (field, value) in [("name", &self.name), ("summary", &self.summary)] {
            if value.trim().is_empty() {
                problems.push(format!("“{field}” is empty"));
            }
        }
        if self.contract == Contract::default() {
            problems.push("“contract” is empty".into());
        }
        problems.extend(
            self.contract
                .problems(stack.has_backend())
                .into_iter()
                .map(|p| format!("in “contract”: {p}")),
        );
        if self.files.is_empty() {
            problems.push("“files” is empty".into());
        }
        if self.files.len() > MAX_PLANNED_FILES {
            problems.push(format!(
                "it plans {} files; plan at most {MAX_PLANNED_FILES}",
                self.files.len()
            ));
        }
        let mut seen = HashSet::new();
        for file in &self.files {
            if let Err(e) = crate::store::keys::ProjectPath::new(&file.path) {
                problems.push(e.to_string());
            }
            // Case-insensitive: exported projects land on macOS and Windows file systems too.
            if !seen.insert(file.path.to_lowercase()) {
                problems.push(format!("“{}” is planned twice", file.path));
            }
            if file.purpose.trim().is_empty() {
                problems.push(format!("“{}” has no purpose", file.path));
            }
        }
        problems.extend(file_folder_clashes(&self.files));
        for alternatives in stack.required_files() {
            if !self
                .files
                .iter()
                .any(|f| alternatives.contains(&f.path.as_str()))
            {
                problems.push(format!(
                    "the required file {} is missing",
                    alternatives
                        .iter()
                        .map(|p| format!("“{p}”"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            }
        }
        problems
    }
}

/// Files another planned path needs as a folder (`src` beside `src/App.jsx`): no file system
/// holds both, so the project could be neither exported nor previewed. Compared ignoring case,
/// like duplicates, for the same reason.
fn file_folder_clashes(files: &[PlannedFile]) -> Vec<String> {
    let planned: HashMap<String, &str> = files
        .iter()
        .map(|f| (f.path.to_lowercase(), f.path.as_str()))
        .collect();
    let mut reported = HashSet::new();
    let mut clashes = Vec::new();
    for file in files {
        for (slash, _) in file.path.match_indices('/') {
            let folder = file.path[..slash].to_lowercase();
            if let Some(existing) = planned.get(&folder) {
                if reported.insert(folder) {
                    clashes.push(format!(
                        "“{existing}” is planned as a file, but “{}” needs it to be a folder; rename one of them",
                        file.path
                    ));
                }
            }
        }
    }
    clashes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_json(paths: &[&str]) -> String {
        let files: Vec<_> = paths
            .iter()
            .map(|p| serde_json::json!({ "path": p, "purpose": format!("the {p} file") }))
            .collect();
        serde_json::json!({
            "name": "Todo List",
            "summary": "Track tasks.",
            "stack": "fastapi-react",
            "contract": {
                "models": [{ "name": "Todo", "fields": [
                    { "name": "id", "type": "int" }, { "name": "title", "type": "str" },
                    { "name": "done", "type": "bool", "default": false }] }],
                "endpoints": [
                    { "method": "GET", "path": "/api/todos", "action": "list", "model": "Todo" }],
                "notes": "App lists the todos.",
            },
            "files": files,
        })
        .to_string()
    }

    const FULL: &[&str] = &[
        "backend/main.py",
        "backend/requirements.txt",
        "frontend/index.html",
        "frontend/package.json",
        "frontend/src/main.jsx",
        "frontend/src/App.jsx",
        "README.md",
    ];

    #[test]
    fn reads_a_plan_from_a_fenced_answer_with_chatter() {
        let answer = format!(
            "Sure! Here is the plan:\n```json\n{}\n```\nLet me know.",
            plan_json(FULL)
        );
        let plan = parse_plan(&answer, Stack::FastapiReact).unwrap();
        assert_eq!(plan.name, "Todo List");
        assert_eq!(plan.files.len(), 7);
        assert_eq!(
            parse_plan(&plan_json(FULL), Stack::FastapiReact).unwrap(),
            plan
        );
    }

    #[test]
    fn lists_every_problem_of_a_bad_plan() {
        let mut paths = FULL.to_vec();
        paths.retain(|p| *p != "backend/main.py");
        paths.push("../x.py");
        paths.push("README.md");
        let problems = parse_plan(&plan_json(&paths), Stack::FastapiReact).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("../x.py") && p.contains("..")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("“README.md” is planned twice")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("“backend/main.py” is missing")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_path_planned_as_both_a_file_and_a_folder_is_a_problem() {
        let mut paths = FULL.to_vec();
        paths.extend([
            "frontend/src",
            "README.md/notes.md",
            "frontend/src/App.jsx/index.js",
        ]);
        let problems = parse_plan(&plan_json(&paths), Stack::FastapiReact).unwrap_err();
        for (file, child) in [
            ("frontend/src", "frontend/src/main.jsx"),
            ("README.md", "README.md/notes.md"),
            ("frontend/src/App.jsx", "frontend/src/App.jsx/index.js"),
        ] {
            let clash =
                format!("“{file}” is planned as a file, but “{child}” needs it to be a folder");
            assert!(
                problems.iter().any(|p| p.contains(&clash)),
                "{clash}\n{problems:?}"
            );
        }
        // One problem per clashing file, however many paths sit under it.
        assert_eq!(
            problems
                .iter()
                .filter(|p| p.contains("“frontend/src” is planned as a file"))
                .count(),
            1,
            "{problems:?}"
        );
    }

    #[test]
    fn a_file_and_folder_clash_is_found_whatever_the_case() {
        let mut paths = FULL.to_vec();
        paths.push("readme.MD/notes.md");
        let problems = parse_plan(&plan_json(&paths), Stack::FastapiReact).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("“README.md” is planned as a file"),
            "{problems:?}"
        );
    }

    #[test]
    fn sibling_names_that_share_a_prefix_do_not_clash() {
        let mut paths = FULL.to_vec();
        paths.extend([
            "frontend/src/App.jsx.md",
            "backend/main.py.txt",
            "backend/main/x.py",
        ]);
        assert!(parse_plan(&plan_json(&paths), Stack::FastapiReact).is_ok());
    }

    #[test]
    fn accepts_tsx_in_place_of_jsx() {
        let paths: Vec<_> = FULL.iter().map(|p| p.replace(".jsx", ".tsx")).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert!(parse_plan(&plan_json(&paths), Stack::FastapiReact).is_ok());
    }

    #[test]
    fn refuses_too_many_files_and_non_json() {
        let many: Vec<String> = (0..61).map(|i| format!("backend/m{i}.py")).collect();
        let mut paths: Vec<&str> = FULL.to_vec();
        paths.extend(many.iter().map(String::as_str));
        let problems = parse_plan(&plan_json(&paths), Stack::FastapiReact).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("at most 60")),
            "{problems:?}"
        );
        assert!(parse_plan("I can't do that.", Stack::React).unwrap_err()[0].contains("no JSON"));
    }

    #[test]
    fn a_plan_for_the_wrong_stack_is_a_problem() {
        let problems = parse_plan(&plan_json(FULL), Stack::React).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("“stack”")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("“index.html”")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_plain_text_contract_reads_as_notes_and_is_enough_for_the_react_stack() {
        let mut plan: serde_json::Value = serde_json::from_str(&plan_json(&[
            "index.html",
            "package.json",
            "src/main.jsx",
            "src/App.jsx",
        ]))
        .unwrap();
        plan["stack"] = "react".into();
        plan["contract"] = "App holds the list; TodoItem shows one.".into();
        let plan = parse_plan(&plan.to_string(), Stack::React).unwrap();
        assert_eq!(
            plan.contract.notes,
            "App holds the list; TodoItem shows one."
        );
        assert!(plan.contract.endpoints.is_empty());
    }

    #[test]
    fn a_backend_plan_needs_endpoints_and_a_valid_contract() {
        let mut plan: serde_json::Value = serde_json::from_str(&plan_json(FULL)).unwrap();
        plan["contract"] = "GET /api/todos -> [{id, title, done}]".into();
        let problems = parse_plan(&plan.to_string(), Stack::FastapiReact).unwrap_err();
        assert!(
            problems.iter().any(|p| p.starts_with("in “contract”")),
            "{problems:?}"
        );

        let mut plan: serde_json::Value = serde_json::from_str(&plan_json(FULL)).unwrap();
        let endpoint = plan["contract"]["endpoints"][0].clone();
        plan["contract"]["endpoints"]
            .as_array_mut()
            .unwrap()
            .push(endpoint);
        let problems = parse_plan(&plan.to_string(), Stack::FastapiReact).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("GET /api/todos"), "{problems:?}");
    }
}
