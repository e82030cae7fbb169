//! Does each file follow the recipes the prompts give? Checks that need no model, read from the
//! same syntax trees as the cross-file check (oxc for scripts, the Ruff parser for Python) and
//! from package.json, stylesheets and HTML.
//!
//! Each rule holds one recipe of the prompts. A finding of a rule that *breaks* the app (an API
//! address with no fallback, `ReactDOM.render` under React 19, a SQLite connection shared across
//! threads, CORS the frontend can't pass) is sent back to the model as one targeted fix; a
//! finding of a *note* rule (a request with no failure handling, an input with no label, a
//! remote image) is recorded for the user and left alone.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::paths;
use crate::project::parseable;
use crate::{count, Layout, SourceFile};

mod python;
mod script;
mod text;

/// The recipes the checks hold every file to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum QualityRule {
    /// `import.meta.env.X` is read with a fallback (`?? "http://localhost:8000"`).
    GuardedEnv,
    /// Every `fetch` has its failure handled (`try`/`catch` or `.catch`).
    HandledRequests,
    /// `localStorage`, `alert` and `confirm` are used only in the helpers made for them.
    BrowserHelpers,
    /// No remote images, scripts, stylesheets or fonts: the preview runs offline.
    LocalAssets,
    /// Every input, select and text area has a label.
    LabelledInputs,
    /// Every image has alt text.
    ImageAlt,
    /// JSX only in `.jsx` / `.tsx` files: Vite refuses it in `.js`.
    JsxInJsx,
    /// The app starts with `createRoot`: React 19 has no `ReactDOM.render`.
    CreateRoot,
    /// package.json declares the React major version the preview runs.
    ReactVersion,
    /// No `@apply` in stylesheets: the preview's Tailwind build reads only class names.
    TailwindClasses,
    /// The SQLite file sits beside the backend's code, wherever the server is started from.
    SqliteBesideCode,
    /// A SQLite connection per request, never one shared across threads.
    SqlitePerRequest,
    /// Tables are created only if missing (`CREATE TABLE IF NOT EXISTS`).
    SqliteIfNotExists,
    /// CORS lets the frontend in from localhost and 127.0.0.1 on any port.
    CorsLocalhost,
    /// Files stay within the size budget (components about 150 lines).
    FileSize,
}

impl QualityRule {
    /// Every rule, in the order the report lists them.
    pub const ALL: [QualityRule; 15] = [
        QualityRule::GuardedEnv,
        QualityRule::CreateRoot,
        QualityRule::JsxInJsx,
        QualityRule::ReactVersion,
        QualityRule::CorsLocalhost,
        QualityRule::SqlitePerRequest,
        QualityRule::SqliteIfNotExists,
        QualityRule::HandledRequests,
        QualityRule::BrowserHelpers,
        QualityRule::LocalAssets,
        QualityRule::LabelledInputs,
        QualityRule::ImageAlt,
        QualityRule::TailwindClasses,
        QualityRule::SqliteBesideCode,
        QualityRule::FileSize,
    ];

    /// Whether a finding of this rule would break the app (and so goes back to the model).
    pub fn breaks(self) -> bool {
        matches!(
            self,
            QualityRule::GuardedEnv
                | QualityRule::JsxInJsx
                | QualityRule::CreateRoot
                | QualityRule::ReactVersion
                | QualityRule::SqlitePerRequest
                | QualityRule::SqliteIfNotExists
                | QualityRule::CorsLocalhost
        )
    }

    /// The recipe in plain words, as the project page lists it.
    pub fn label(self) -> &'static str {
        match self {
            QualityRule::GuardedEnv => "The app finds its server even when no address is set",
            QualityRule::HandledRequests => {
                "A failed request shows a message instead of doing nothing"
            }
            QualityRule::BrowserHelpers => {
                "Saving in the browser and pop-up messages go through one helper"
            }
            QualityRule::LocalAssets => {
                "Images, fonts and scripts come with the app, not from the internet"
            }
            QualityRule::LabelledInputs => "Every field has a label",
            QualityRule::ImageAlt => "Every image has a description",
            QualityRule::JsxInJsx => "Screens are in files Vite can read",
            QualityRule::CreateRoot => "The app starts the way React 19 expects",
            QualityRule::ReactVersion => "The app asks for the React version the preview runs",
            QualityRule::TailwindClasses => "Styles work in the preview as on your computer",
            QualityRule::SqliteBesideCode => "The database file stays beside the server's code",
            QualityRule::SqlitePerRequest => "The database is opened once per request",
            QualityRule::SqliteIfNotExists => "The server starts again without losing its tables",
            QualityRule::CorsLocalhost => "The server lets the app in from any local address",
            QualityRule::FileSize => "Files are short enough to read and change",
        }
    }

    /// Whether the rule has anything to read in a project with these files.
    fn applies(self, files: &[SourceFile<'_>], layout: &Layout) -> bool {
        let any = |ext: &[&str]| {
            files
                .iter()
                .any(|f| ext.contains(&paths::extension(f.path)))
        };
        let scripts = ["js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts"];
        let python = || {
            layout.backend_root.is_some() && files.iter().any(|f| paths::extension(f.path) == "py")
        };
        let sqlite = || files.iter().any(|f| f.text.contains("sqlite3"));
        match self {
            QualityRule::GuardedEnv
            | QualityRule::HandledRequests
            | QualityRule::BrowserHelpers
            | QualityRule::JsxInJsx
            | QualityRule::CreateRoot => any(&scripts),
            QualityRule::LabelledInputs | QualityRule::ImageAlt => any(&["jsx", "tsx", "js"]),
            QualityRule::LocalAssets => any(&["jsx", "tsx", "js", "css", "html"]),
            QualityRule::ReactVersion => files
                .iter()
                .any(|f| paths::file_name(f.path) == "package.json"),
            QualityRule::TailwindClasses => any(&["css"]),
            QualityRule::SqliteBesideCode
            | QualityRule::SqlitePerRequest
            | QualityRule::SqliteIfNotExists => python() && sqlite(),
            QualityRule::CorsLocalhost => python(),
            QualityRule::FileSize => !files.is_empty(),
        }
    }
}

/// What the checks hold a project to that they cannot read from its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standards {
    /// The React major version the preview runs (and package.json must ask for).
    pub react_major: u64,
}

/// One place a file departs from a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QualityFinding {
    /// The recipe it departs from.
    pub rule: QualityRule,
    /// Whether it would break the app (otherwise it is a note).
    pub breaks: bool,
    /// The file, project-relative.
    pub path: String,
    /// 1-based, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What is wrong and what to do, e.g. "reads `import.meta.env.VITE_API_URL` with no
    /// fallback: write `import.meta.env.VITE_API_URL ?? \"http://localhost:8000\"`".
    pub message: String,
}

impl QualityFinding {
    fn new(rule: QualityRule, path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        QualityFinding {
            rule,
            breaks: rule.breaks(),
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }

    /// The same finding, recorded as a note: it departs from the recipe without breaking
    /// the app.
    fn into_note(mut self) -> Self {
        self.breaks = false;
        self
    }

    /// The finding as a fix request quotes it: "line 3: reads …".
    pub fn for_fix(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// One recipe and how the project holds to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QualityCheck {
    /// The recipe checked.
    pub rule: QualityRule,
    /// The recipe in plain words.
    pub label: String,
    /// Whether a departure would break the app.
    pub breaks: bool,
    /// Whether every file holds to it.
    pub passed: bool,
}

/// How a project holds to the recipes: every rule that applies to it, and every departure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QualityReport {
    /// The rules that apply to this project, in report order.
    pub checks: Vec<QualityCheck>,
    /// Every departure, those that break the app first, then by path and line.
    pub findings: Vec<QualityFinding>,
}

impl QualityReport {
    /// Departures that would break the app.
    pub fn breaking(&self) -> impl Iterator<Item = &QualityFinding> {
        self.findings.iter().filter(|f| f.breaks)
    }

    /// One line: "14 of 15 checks passed; 1 problem, 2 notes".
    pub fn summary(&self) -> String {
        let passed = self.checks.iter().filter(|c| c.passed).count();
        let problems = self.breaking().count();
        let notes = self.findings.len() - problems;
        let mut line = format!("{passed} of {} checks passed", self.checks.len());
        if problems > 0 || notes > 0 {
            let mut left = Vec::new();
            if problems > 0 {
                left.push(count(problems, "problem", "problems"));
            }
            if notes > 0 {
                left.push(count(notes, "note", "notes"));
            }
            line.push_str(&format!("; {}", left.join(", ")));
        }
        line
    }
}

/// Reviews one file on its own: every departure from a recipe it shows. Never panics; a file
/// that does not parse has no findings (its parser already reported it).
pub fn review_file(
    layout: &Layout,
    standards: &Standards,
    path: &str,
    text: &str,
) -> Vec<QualityFinding> {
    crate::on_deep_stack(|| review_here(layout, standards, path, text))
}

fn review_here(
    layout: &Layout,
    standards: &Standards,
    path: &str,
    text: &str,
) -> Vec<QualityFinding> {
    if !parseable(text) {
        return Vec::new();
    }
    let in_backend = layout
        .backend_root
        .as_deref()
        .is_some_and(|root| path.starts_with(root.trim_start_matches("./")));
    let mut findings = Vec::new();
    match paths::extension(path) {
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts" if !in_backend => {
            script::review(path, text, &mut findings);
        }
        "py" if in_backend => python::review(path, text, &mut findings),
        "css" => text::review_css(path, text, &mut findings),
        "html" | "htm" => text::review_html(path, text, &mut findings),
        "json" if paths::file_name(path) == "package.json" => {
            text::review_package_json(path, text, standards, &mut findings);
        }
        _ => {}
    }
    text::review_size(path, text, &mut findings);
    findings
}

/// Reviews every file of a project: the report of which recipes it holds to.
pub fn review_project(
    layout: &Layout,
    standards: &Standards,
    files: &[SourceFile<'_>],
) -> QualityReport {
    crate::on_deep_stack(|| {
        let mut findings: Vec<QualityFinding> = files
            .iter()
            .flat_map(|f| review_here(layout, standards, f.path, f.text))
            .collect();
        findings.sort_by(|a, b| {
            (!a.breaks, &a.path, a.line, a.rule).cmp(&(!b.breaks, &b.path, b.line, b.rule))
        });
        let checks = QualityRule::ALL
            .iter()
            .filter(|rule| rule.applies(files, layout))
            .map(|&rule| QualityCheck {
                rule,
                label: rule.label().to_string(),
                breaks: rule.breaks(),
                passed: !findings.iter().any(|f| f.rule == rule),
            })
            .collect();
        QualityReport { checks, findings }
    })
}

/// A URL fetched from another machine: `https://…`, `http://…`, `//…`, but not the local
/// backend.
fn is_remote(url: &str) -> bool {
    let url = url.trim();
    let rest = ["https://", "http://", "//"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme));
    rest.is_some_and(|rest| !(rest.starts_with("localhost") || rest.starts_with("127.0.0.1")))
}

/// Files made to hold browser storage and pop-up messages: `src/storage.js`,
/// `src/lib/notify.ts`, `src/utils/helpers.js`.
fn is_helper(path: &str) -> bool {
    let stem = paths::stem(path).to_ascii_lowercase();
    let folder = paths::parent(path).to_ascii_lowercase();
    const STEMS: [&str; 10] = [
        "storage", "store", "persist", "db", "notify", "dialog", "dialogs", "helpers", "utils",
        "api",
    ];
    STEMS
        .iter()
        .any(|s| stem == *s || stem.ends_with(&format!("-{s}")))
        || stem.ends_with("storage")
        || stem.ends_with("store")
        || [
            "/lib/",
            "/utils/",
            "/helpers/",
            "/services/",
            "/hooks/",
            "/store/",
        ]
        .iter()
        .any(|f| format!("/{folder}").contains(f))
}

#[cfg(test)]
mod tests;
