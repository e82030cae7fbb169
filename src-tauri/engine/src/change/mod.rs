//! Changing a project by asking: the change plan the model answers `TASK: change` with, and the
//! checks an edited file must pass before it replaces the one in the bucket. The run itself
//! (claim, edit, check, record a revision, or roll back) is in `generate::run::change`, beside
//! the generation it shares its validation, repair and cross-file check with.

pub mod history;
mod restore;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::plan::{Contract, Plan, PlannedFile};
use crate::store::ProjectPath;

/// What a change does to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    Add,
    Modify,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub path: String,
    pub action: ChangeAction,
    #[serde(default)]
    pub purpose: String,
}

/// The model's answer to `TASK: change`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangePlan {
    pub summary: String,
    /// The whole contract as it is after the change, when the change alters it.
    #[serde(default)]
    pub contract: Option<Contract>,
    pub files: Vec<ChangedFile>,
}

impl ChangePlan {
    /// The files the change writes (added or modified), in the plan's order.
    pub fn written(&self) -> impl Iterator<Item = &ChangedFile> {
        self.files
            .iter()
            .filter(|f| f.action != ChangeAction::Delete)
    }

    /// The project's plan after this change: files added and removed, purposes and the
    /// contract updated.
    pub fn apply_to(&self, plan: &Plan) -> Plan {
        let mut next = plan.clone();
        if let Some(contract) = &self.contract {
            next.contract = contract.clone();
        }
        for file in &self.files {
            let at = next.files.iter().position(|f| f.path == file.path);
            match (file.action, at) {
                (ChangeAction::Delete, Some(i)) => {
                    next.files.remove(i);
                }
                (ChangeAction::Delete, None) => {}
                (_, Some(i)) if !file.purpose.trim().is_empty() => {
                    next.files[i].purpose = file.purpose.clone();
                }
                (_, Some(_)) => {}
                (_, None) => next.files.push(PlannedFile {
                    path: file.path.clone(),
                    purpose: file.purpose.clone(),
                }),
            }
        }
        next
    }
}

/// Reads a change plan from an answer (bare JSON or fenced) and checks it against the project:
/// `live` are the paths in the bucket now. `Err` lists every reason, ready for a repair prompt.
pub fn parse_change_plan(
    answer: &str,
    plan: &Plan,
    live: &BTreeSet<String>,
) -> Result<ChangePlan, Vec<String>> {
    let json = crate::plan::json_object_in(answer).ok_or_else(|| {
        vec![
            "the answer contains no JSON object; reply with the change plan as one JSON object"
                .to_string(),
        ]
    })?;
    let change: ChangePlan = serde_json::from_str(json).map_err(|e| {
        vec![format!(
            "the JSON does not match the change plan format: {e}"
        )]
    })?;
    let mut problems = Vec::new();
    if change.summary.trim().is_empty() {
        problems.push("“summary” is empty".to_string());
    }
    if change.files.is_empty() {
        problems.push("“files” is empty: name at least one file to add, modify or delete".into());
    }
    let mut seen = BTreeSet::new();
    for file in &change.files {
        if let Err(e) = ProjectPath::new(&file.path) {
            problems.push(e.to_string());
            continue;
        }
        if !seen.insert(file.path.to_lowercase()) {
            problems.push(format!("“{}” is named twice", file.path));
        }
        let exists = live.contains(&file.path);
        match file.action {
            ChangeAction::Add if exists => problems.push(format!(
                "“{}” already exists: use \"modify\" to change it",
                file.path
            )),
            ChangeAction::Modify | ChangeAction::Delete if !exists => problems.push(format!(
                "“{}” is not in the project: use \"add\" for a new file",
                file.path
            )),
            ChangeAction::Add if file.purpose.trim().is_empty() => {
                problems.push(format!("the new file “{}” has no purpose", file.path))
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        // The project after the change must still be a whole project: required files, no
        // clashes, a valid contract.
        let next = change.apply_to(plan);
        problems.extend(
            next.problems(plan.stack)
                .into_iter()
                .map(|p| format!("after this change, {p}")),
        );
    }
    if problems.is_empty() {
        Ok(change)
    } else {
        Err(problems)
    }
}

/// Phrases a model writes instead of the code it left out.
const LAZY_PHRASES: &[&str] = &[
    "rest of the code",
    "rest of the file",
    "rest of code",
    "existing code",
    "code unchanged",
    "unchanged code",
    "remains unchanged",
    "remain unchanged",
    "remains the same",
    "same as before",
    "previous code",
    "keep the rest",
    "other code here",
    "... rest",
];

/// Words in a request or a file's purpose that ask for code to go.
const REMOVAL_WORDS: &[&str] = &[
    "remove", "delete", "drop", "strip", "simplif", "shorten", "get rid", "cut", "without",
    "smaller", "trim", "clean up", "reduce",
];

/// Whether `text` asks for code to be taken out.
pub fn asks_for_removal(text: &str) -> bool {
    let text = text.to_lowercase();
    REMOVAL_WORDS.iter().any(|w| text.contains(w))
}

/// The share of a file's bytes an edit may drop when nothing asked for a removal.
pub const MAX_SHRINK: f64 = 0.4;

/// What is wrong with `edited` as the new version of `original`: lazy markers standing for code
/// it left out, or a shrink by more than [`MAX_SHRINK`] when `removal` is false. Empty when the
/// edit can be used. (Exports other files still import are checked across the project by
/// [`dropped_exports`].)
pub fn edit_problems(path: &str, original: &str, edited: &str, removal: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let lowered_original = original.to_lowercase();
    for (n, line) in edited.lines().enumerate() {
        let lowered = line.to_lowercase();
        let comment = is_comment(path, line);
        if let Some(phrase) = LAZY_PHRASES.iter().find(|p| lowered.contains(*p)) {
            // Only in a comment, and only if the original did not say it already.
            if comment && !lowered_original.contains(*phrase) {
                problems.push(format!(
                    "line {}: “{}” stands for code that was left out; write every line of the file",
                    n + 1,
                    line.trim()
                ));
                continue;
            }
        }
        if is_ellipsis_line(line) && !original.lines().any(|l| l.trim() == line.trim()) {
            problems.push(format!(
                "line {}: “{}” stands for code that was left out; write every line of the file",
                n + 1,
                line.trim()
            ));
        }
    }
    if !removal && !original.is_empty() {
        let kept = edited.len() as f64 / original.len() as f64;
        if kept < 1.0 - MAX_SHRINK {
            problems.push(format!(
                "it is {}% shorter than before ({} → {} bytes) though the change asked to remove nothing; keep every part the change does not touch",
                ((1.0 - kept) * 100.0).round() as u32,
                original.len(),
                edited.len()
            ));
        }
    }
    problems
}

/// A line that is a comment in this file's language.
fn is_comment(path: &str, line: &str) -> bool {
    let t = line.trim_start();
    if path.ends_with(".py") || path.ends_with(".toml") || path.ends_with(".txt") {
        t.starts_with('#')
    } else if path.ends_with(".html") || path.ends_with(".md") {
        t.starts_with("<!--")
    } else {
        t.starts_with("//") || t.starts_with("/*") || t.starts_with('*') || t.starts_with("{/*")
    }
}

/// `...`, `// ...`, `# ...`, `/* ... */` or `{/* ... */}` alone on a line.
fn is_ellipsis_line(line: &str) -> bool {
    let core = line
        .trim()
        .trim_start_matches("{/*")
        .trim_end_matches("*/}")
        .trim_start_matches("/*")
        .trim_end_matches("*/")
        .trim_start_matches("//")
        .trim_start_matches('#')
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim();
    core == "..." || core == "…"
}

/// Exports the project's other files import from `path` that `edited` no longer provides: the
/// cross-file check's missing exports with the edit, less those it already found without it
/// (only `path` differs, so every new one is the edit's).
pub fn dropped_exports(
    layout: &bucketforge_check::Layout,
    contract: &Contract,
    texts: &BTreeMap<String, String>,
    path: &str,
    edited: &str,
) -> Vec<String> {
    use bucketforge_check::{check_project, FitKind, SourceFile};
    let missing = |texts: &BTreeMap<String, String>| -> BTreeSet<String> {
        let files: Vec<SourceFile<'_>> = texts
            .iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        check_project(layout, contract, &files)
            .problems
            .into_iter()
            .filter(|p| p.kind == FitKind::MissingExport)
            .map(|p| p.message)
            .collect()
    };
    let before = missing(texts);
    let mut after_texts = texts.clone();
    after_texts.insert(path.to_string(), edited.to_string());
    missing(&after_texts)
        .into_iter()
        .filter(|m| !before.contains(m))
        .collect()
}

pub use restore::{restore, save_edit, undo, Holder, Restored};

#[cfg(test)]
mod tests;
