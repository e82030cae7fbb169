//! Do a generated project's files fit together and with the plan's API contract?
//!
//! Pure logic over text already in memory: no I/O, no async (the check runs on one helper
//! thread of its own, for the stack deep nesting needs). [`Contract`] is the API a plan
//! promises; [`check_project`] reads every file with the real parsers (oxc for JS/TS, the Ruff
//! parser for Python) and reports, in plain words, each place where the files disagree: an
//! import of a file that does not exist, a name a module does not export, a package nobody
//! declared, a call to an endpoint the contract does not list, a route missing on the backend.

#![warn(missing_docs)]

mod contract;
mod derive;
mod entry;
mod js;
mod packages;
mod paths;
mod project;
mod python;
pub mod quality;
mod routes;
mod stdlib;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use contract::*;
pub use derive::contract_from_backend;
pub use js::source_type_for;

use project::Project;

/// Where the parts of a project live, relative to its root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// The folder holding `index.html`, `package.json` and `src/`: `"frontend/"`, or `""` for
    /// the project root.
    pub frontend_root: String,
    /// The folder holding the Python backend (`Some("backend/")`), or `None` without one.
    pub backend_root: Option<String>,
}

/// One file of the project: its path relative to the project root and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceFile<'a> {
    /// Relative to the project root, `/`-separated: `frontend/src/App.jsx`.
    pub path: &'a str,
    /// The file's content.
    pub text: &'a str,
}

/// How a project's files fit together: what was checked, and every problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[ts(export)]
pub struct CheckReport {
    /// Imports of project files checked (JS relative imports and local Python modules).
    pub imports: u32,
    /// Distinct npm and third-party Python packages checked against their manifests.
    pub packages: u32,
    /// Frontend API calls checked against the contract.
    pub api_calls: u32,
    /// Backend routes found.
    pub routes: u32,
    /// Everything that does not fit, most fundamental first.
    pub problems: Vec<FitProblem>,
}

impl CheckReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line: "Checked: 14 imports, 3 packages, 6 API calls" when clean, else "3 problems:
    /// 1 missing file, 2 undeclared npm packages (checked 14 imports, …)".
    pub fn summary(&self) -> String {
        let mut checked = vec![
            count(self.imports as usize, "import", "imports"),
            count(self.packages as usize, "package", "packages"),
            count(self.api_calls as usize, "API call", "API calls"),
        ];
        if self.routes > 0 {
            checked.push(count(self.routes as usize, "route", "routes"));
        }
        let checked = checked.join(", ");
        if self.is_clean() {
            return format!("Checked: {checked}");
        }
        let mut kinds: Vec<(FitKind, usize)> = Vec::new();
        for problem in &self.problems {
            match kinds.iter_mut().find(|(kind, _)| *kind == problem.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((problem.kind, 1)),
            }
        }
        let kinds: Vec<String> = kinds
            .into_iter()
            .map(|(kind, n)| {
                let (one, many) = kind.labels();
                count(n, one, many)
            })
            .collect();
        format!(
            "{}: {} (checked {checked})",
            count(self.problems.len(), "problem", "problems"),
            kinds.join(", ")
        )
    }
}

/// One place where the files do not fit together, and where to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FitProblem {
    /// What kind of mismatch it is.
    pub kind: FitKind,
    /// Plain words, naming the files and what to do, e.g. "imports `axios`, which
    /// frontend/package.json does not declare: add it there, or stop using it".
    pub message: String,
    /// The files that can fix it, the most likely first (project-relative paths). Every path
    /// here exists in the project, except `missing_file`.
    pub fix_in: Vec<String>,
    /// A file the plan should have had and no file provides (a relative import of a file that
    /// does not exist), when one obvious path would fix it: e.g.
    /// "frontend/src/components/TodoList.jsx".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_file: Option<String>,
}

/// The kinds of mismatch the check finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FitKind {
    /// An import names a project file that does not exist.
    MissingFile,
    /// An import names something the imported module does not export or define.
    MissingExport,
    /// A bare npm import that package.json does not declare.
    UndeclaredPackage,
    /// A third-party Python import that requirements.txt does not declare.
    UndeclaredPythonPackage,
    /// The frontend calls an endpoint the contract does not list.
    UnknownEndpoint,
    /// The contract lists an endpoint no backend route serves.
    MissingRoute,
    /// The backend serves a route the contract does not list.
    ExtraRoute,
    /// index.html loads no module script that exists.
    MissingEntryScript,
    /// package.json has no `dev` script.
    MissingDevScript,
    /// A React frontend has no Vite configuration with React's plugin.
    MissingViteConfig,
}

impl FitKind {
    /// How a summary counts problems of this kind: one, and more than one.
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            FitKind::MissingFile => ("missing file", "missing files"),
            FitKind::MissingExport => ("missing export", "missing exports"),
            FitKind::UndeclaredPackage => ("undeclared npm package", "undeclared npm packages"),
            FitKind::UndeclaredPythonPackage => {
                ("undeclared Python package", "undeclared Python packages")
            }
            FitKind::UnknownEndpoint => {
                ("call to an unknown endpoint", "calls to unknown endpoints")
            }
            FitKind::MissingRoute => ("missing route", "missing routes"),
            FitKind::ExtraRoute => ("extra route", "extra routes"),
            FitKind::MissingEntryScript => ("missing entry script", "missing entry scripts"),
            FitKind::MissingDevScript => ("missing dev script", "missing dev scripts"),
            FitKind::MissingViteConfig => ("missing Vite setup", "missing Vite setups"),
        }
    }
}

/// Checks that the files fit together and with the contract. Never panics on any input
/// (unparseable files are skipped: each file's own parser already reported them).
pub fn check_project(
    layout: &Layout,
    contract: &Contract,
    files: &[SourceFile<'_>],
) -> CheckReport {
    on_deep_stack(|| check_here(layout, contract, files))
}

/// Runs `read` on a thread of its own with a deep stack, and waits for it. Both parsers recurse
/// once per nesting level (`- - - … 1`, `a = a = … 1`), and the Ruff AST drops recursively: on
/// a worker's usual stack a file nested a few thousand levels deep would abort the process;
/// such a thread reads any file small enough to be parsed. Where no such thread can be had,
/// `read` runs here. A panic inside `read` is passed on. The engine's validator and preview
/// parse on it too.
pub fn on_deep_stack<T: Send>(read: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("bucketforge-check".into())
            .stack_size(CHECK_STACK_BYTES)
            .spawn_scoped(scope, &read);
        match worker {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => read(),
        }
    })
}

/// The stack the check runs on: room for the deepest nesting a file small enough to be
/// parsed can hold. Only the pages used are ever committed.
const CHECK_STACK_BYTES: usize = 256 * 1024 * 1024;

fn check_here(layout: &Layout, contract: &Contract, files: &[SourceFile<'_>]) -> CheckReport {
    let project = Project::new(layout, files);
    let mut report = CheckReport::default();
    let scripts = js::analyse(&project);
    let modules = python::analyse(&project);
    js::check_imports(&project, &scripts, &mut report);
    python::check_imports(&project, &modules, &mut report);
    packages::check_npm(&project, &scripts, &mut report);
    packages::check_python(&project, &modules, &mut report);
    entry::check(&project, &scripts, &mut report);
    js::check_calls(&project, &scripts, contract, &mut report);
    routes::check(&project, &modules, contract, &mut report);
    report
}

/// "1 model", "3 models".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A count as the report stores it.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
