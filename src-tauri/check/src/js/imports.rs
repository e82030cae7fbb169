//! Relative imports between scripts, resolved the way Vite does, and the names they take.

use super::{ImportedName, Script, Scripts};
use crate::paths::{self, join, parent};
use crate::project::Project;
use crate::{CheckReport, FitKind, FitProblem};

/// The extensions Vite tries, in order, for an import written without one.
const TRIED_EXTENSIONS: [&str; 8] = ["js", "jsx", "ts", "tsx", "mjs", "mts", "cjs", "json"];

/// Extensions a file an import names may really have (anything else is part of its name).
const FILE_EXTENSIONS: [&str; 24] = [
    "js", "jsx", "ts", "tsx", "mjs", "mts", "cjs", "cts", "json", "css", "scss", "sass", "less",
    "svg", "png", "jpg", "jpeg", "gif", "webp", "ico", "avif", "html", "txt", "md",
];

/// What an import specifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Specifier<'s> {
    /// `./x`, `../x`: relative to the importing file.
    Relative(&'s str),
    /// `/src/x`: relative to the frontend root (Vite's project root).
    Root(&'s str),
    /// `@/components/x`: the common alias for the frontend's `src/`.
    Alias(&'s str),
    /// A package: `react`, `react-dom/client`, `@tanstack/react-query`.
    Bare(&'s str),
    /// Not a file or package the check can judge: `node:fs`, `virtual:pwa`, URLs.
    Other,
}

impl<'s> Specifier<'s> {
    /// Reads a specifier, its query and hash (`./logo.svg?react`) left out.
    pub fn of(specifier: &'s str) -> Specifier<'s> {
        let path = specifier.split(['?', '#']).next().unwrap_or_default();
        if path.is_empty() {
            return Specifier::Other;
        }
        if path == "." || path == ".." || path.starts_with("./") || path.starts_with("../") {
            Specifier::Relative(path)
        } else if let Some(rest) = path.strip_prefix("@/") {
            Specifier::Alias(rest)
        } else if path.starts_with("//") || path.contains(':') || path.starts_with(['#', '\0', '~'])
        {
            Specifier::Other
        } else if let Some(rest) = path.strip_prefix('/') {
            Specifier::Root(rest)
        } else {
            Specifier::Bare(path)
        }
    }
}

/// Where an import leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// This project file.
    File(String),
    /// No file: the path it would have (`None` when it climbs out of the project).
    Missing(Option<String>),
}

/// Resolves a relative, root or alias import from `importer`, trying what Vite tries: the
/// exact path, then each extension, then an `index` file inside a folder of that name.
pub(crate) fn resolve(
    project: &Project<'_>,
    importer: &str,
    specifier: Specifier<'_>,
) -> Option<Resolved> {
    let target = match specifier {
        Specifier::Relative(path) => join(parent(importer), path),
        Specifier::Root(path) => join(&project.frontend, path),
        Specifier::Alias(path) => join(&format!("{}src/", project.frontend), path),
        Specifier::Bare(_) | Specifier::Other => return None,
    };
    let Some(target) = target else {
        return Some(Resolved::Missing(None));
    };
    if project.has_file(&target) {
        return Some(Resolved::File(target));
    }
    for extension in TRIED_EXTENSIONS {
        let candidate = format!("{target}.{extension}");
        if project.has_file(&candidate) {
            return Some(Resolved::File(candidate));
        }
    }
    // TypeScript sources import each other by the name they compile to (`./api.js`).
    let typescript_importer = matches!(paths::extension(importer), "ts" | "tsx" | "mts");
    if typescript_importer {
        let swaps = [
            ("js", ["ts", "tsx"]),
            ("jsx", ["tsx", "tsx"]),
            ("mjs", ["mts", "mts"]),
        ];
        for (from, to) in swaps {
            if let Some(stem) = target.strip_suffix(&format!(".{from}")) {
                for extension in to {
                    let candidate = format!("{stem}.{extension}");
                    if project.has_file(&candidate) {
                        return Some(Resolved::File(candidate));
                    }
                }
            }
        }
    }
    if !target.is_empty() {
        for extension in TRIED_EXTENSIONS {
            let candidate = format!("{target}/index.{extension}");
            if project.has_file(&candidate) {
                return Some(Resolved::File(candidate));
            }
        }
    }
    Some(Resolved::Missing(Some(target)))
}

/// Checks that every relative import names a project file, and every name it takes is
/// exported there.
pub(crate) fn check_imports(
    project: &Project<'_>,
    scripts: &Scripts<'_>,
    report: &mut CheckReport,
) {
    for (importer, script) in scripts {
        for import in &script.imports {
            let specifier = Specifier::of(&import.specifier);
            let Some(resolved) = resolve(project, importer, specifier) else {
                continue;
            };
            report.imports = report.imports.saturating_add(1);
            let at = format!("`{importer}` (line {})", import.line);
            match resolved {
                Resolved::Missing(target) => {
                    report.problems.push(missing_file(
                        project,
                        importer,
                        &at,
                        &import.specifier,
                        target,
                    ));
                }
                Resolved::File(target) => {
                    if let Some(exporter) = scripts.get(target.as_str()) {
                        for name in &import.names {
                            if let Some(problem) = missing_export(
                                importer,
                                &at,
                                &import.specifier,
                                name,
                                &target,
                                exporter,
                            ) {
                                report.problems.push(problem);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn missing_file(
    project: &Project<'_>,
    importer: &str,
    at: &str,
    specifier: &str,
    target: Option<String>,
) -> FitProblem {
    let Some(target) = target else {
        return FitProblem {
            kind: FitKind::MissingFile,
            message: format!(
                "{at} imports \"{specifier}\", which points outside the project: import a file of the project instead"
            ),
            fix_in: vec![importer.to_string()],
            missing_file: None,
        };
    };
    // A file of that name elsewhere (or in another case) is what the import meant.
    let wanted = paths::stem(&target).to_lowercase();
    let target_extension = paths::extension(&target).to_ascii_lowercase();
    let names_a_script = target_extension.is_empty()
        || super::is_script(&target)
        || !FILE_EXTENSIONS.contains(&target_extension.as_str());
    let elsewhere = project.files.keys().find(|path| {
        let same_kind = if names_a_script {
            super::is_script(path)
        } else {
            paths::extension(path).eq_ignore_ascii_case(&target_extension)
        };
        project.in_frontend(path)
            && **path != importer
            && same_kind
            && paths::stem(path).to_lowercase() == wanted
    });
    if let Some(existing) = elsewhere {
        let suggestion = relative_specifier(parent(importer), existing);
        return FitProblem {
            kind: FitKind::MissingFile,
            message: format!(
                "{at} imports \"{specifier}\", which is not a file of the project; {existing} exists: import it as \"{suggestion}\""
            ),
            fix_in: vec![importer.to_string()],
            missing_file: None,
        };
    }
    let missing = file_to_write(importer, &target, project);
    let message = match &missing {
        Some(path) => format!(
            "{at} imports \"{specifier}\", which is not a file of the project: write {path}, or change the import to a file that exists"
        ),
        None => format!(
            "{at} imports \"{specifier}\", which is not a file of the project: change the import to a file that exists"
        ),
    };
    FitProblem {
        kind: FitKind::MissingFile,
        message,
        fix_in: vec![importer.to_string()],
        missing_file: missing,
    }
}

/// The one file that would satisfy an import of `target`: the path itself when it names a
/// file type, else the importer's kind of script (`.jsx` for a component, `.js` otherwise).
fn file_to_write(importer: &str, target: &str, project: &Project<'_>) -> Option<String> {
    let extension = paths::extension(target);
    if FILE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()) {
        return Some(target.to_string());
    }
    // A folder without an index: which file is meant is not obvious.
    if project.has_folder(target) || target.is_empty() {
        return None;
    }
    let component = paths::file_name(target)
        .chars()
        .next()
        .is_some_and(char::is_uppercase);
    let typescript = matches!(paths::extension(importer), "ts" | "tsx" | "mts");
    let extension = match (typescript, component) {
        (true, true) => "tsx",
        (true, false) => "ts",
        (false, true) => "jsx",
        (false, false) => "js",
    };
    Some(format!("{target}.{extension}"))
}

/// How a script in `folder` imports `path`: `./components/List` or `../api`.
fn relative_specifier(folder: &str, path: &str) -> String {
    let from: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = path.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..from.len() {
        parts.push("..".into());
    }
    if parts.is_empty() {
        parts.push(".".into());
    }
    for (i, segment) in to.iter().enumerate().skip(common) {
        let last = i == to.len() - 1;
        let code = last && super::is_script(segment);
        parts.push(if code {
            paths::stem(segment).to_string()
        } else {
            segment.to_string()
        });
    }
    parts.join("/")
}

fn missing_export(
    importer: &str,
    at: &str,
    specifier: &str,
    name: &ImportedName,
    target: &str,
    exporter: &Script,
) -> Option<FitProblem> {
    let exports = &exporter.exports;
    if exports.open {
        return None;
    }
    let has_default = exports.names.contains("default");
    let mut listed: Vec<&str> = exports
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "default")
        .collect();
    listed.sort_unstable();
    let (message, importer_first) = match name {
        ImportedName::Named(name) if !exports.names.contains(name) => {
            if has_default && (name == paths::stem(target) || listed.is_empty()) {
                (
                    format!(
                        "{at} imports {{ {name} }} from \"{specifier}\", but {target} has no export named {name}, only a default export: write `import {name} from \"{specifier}\"`, or export {name} by name there"
                    ),
                    true,
                )
            } else {
                (
                    format!(
                        "{at} imports {{ {name} }} from \"{specifier}\", but {target} does not export {name}{}: export it there, or import a name it has",
                        exports_list(&listed, has_default)
                    ),
                    false,
                )
            }
        }
        ImportedName::Default(local) if !has_default => {
            if listed
                .iter()
                .any(|n| n == local || *n == paths::stem(target))
            {
                let named = if listed.contains(&local.as_str()) {
                    local.as_str()
                } else {
                    paths::stem(target)
                };
                (
                    format!(
                        "{at} imports {local} as the default export of \"{specifier}\", but {target} has no default export, only named ones: write `import {{ {named} }} from \"{specifier}\"`, or add `export default {named}` there"
                    ),
                    true,
                )
            } else {
                (
                    format!(
                        "{at} imports {local} as the default export of \"{specifier}\", but {target} has no default export{}: add `export default` there, or import a name it has",
                        exports_list(&listed, false)
                    ),
                    false,
                )
            }
        }
        _ => return None,
    };
    let fix_in = if importer_first {
        vec![importer.to_string(), target.to_string()]
    } else {
        vec![target.to_string(), importer.to_string()]
    };
    Some(FitProblem {
        kind: FitKind::MissingExport,
        message,
        fix_in,
        missing_file: None,
    })
}

/// " (it exports: a, b, c)" for a message, at most eight names.
fn exports_list(names: &[&str], has_default: bool) -> String {
    let mut shown: Vec<&str> = names.iter().take(8).copied().collect();
    if names.len() > 8 {
        shown.push("…");
    }
    if has_default {
        shown.push("a default export");
    }
    if shown.is_empty() {
        " (it exports nothing)".to_string()
    } else {
        format!(" (it exports: {})", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_specifier() {
        assert_eq!(Specifier::of("./App"), Specifier::Relative("./App"));
        assert_eq!(
            Specifier::of("../api.js?raw"),
            Specifier::Relative("../api.js")
        );
        assert_eq!(
            Specifier::of("/src/main.jsx"),
            Specifier::Root("src/main.jsx")
        );
        assert_eq!(Specifier::of("@/lib/utils"), Specifier::Alias("lib/utils"));
        assert_eq!(
            Specifier::of("@tanstack/react-query"),
            Specifier::Bare("@tanstack/react-query")
        );
        assert_eq!(Specifier::of("node:fs"), Specifier::Other);
        assert_eq!(Specifier::of("virtual:pwa-register"), Specifier::Other);
        assert_eq!(Specifier::of("https://esm.sh/react"), Specifier::Other);
        assert_eq!(Specifier::of(""), Specifier::Other);
    }

    #[test]
    fn writes_relative_specifiers() {
        assert_eq!(
            relative_specifier("frontend/src/", "frontend/src/components/List.jsx"),
            "./components/List"
        );
        assert_eq!(
            relative_specifier("frontend/src/components/", "frontend/src/api.js"),
            "../api"
        );
        assert_eq!(
            relative_specifier("frontend/src/", "frontend/src/App.css"),
            "./App.css"
        );
    }
}
