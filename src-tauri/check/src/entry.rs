//! How the frontend starts: index.html's module script, and package.json's `dev` script.

use crate::js::Scripts;
use crate::paths::{join, parent};
use crate::project::Project;
use crate::{CheckReport, FitKind, FitProblem};

/// The entry files a Vite + React frontend usually starts from, relative to its root.
const ENTRY_CANDIDATES: [&str; 4] = ["src/main.jsx", "src/main.tsx", "src/main.js", "src/main.ts"];

/// Checks index.html's entry script and package.json's `dev` script (package.json itself
/// missing is reported with the packages).
pub(crate) fn check(project: &Project<'_>, scripts: &Scripts<'_>, report: &mut CheckReport) {
    let has_frontend = scripts.keys().any(|p| project.in_frontend(p))
        || project.has_file(&format!("{}package.json", project.frontend));
    if !has_frontend {
        return;
    }
    check_index(project, report);
    check_dev_script(project, report);
    check_vite_config(project, scripts, report);
}

/// The names Vite reads its configuration from, in the frontend's root.
const VITE_CONFIGS: [&str; 5] = [
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.ts",
    "vite.config.mts",
    "vite.config.cjs",
];

/// A React frontend needs a Vite configuration with the React plugin: without it Vite compiles
/// JSX the classic way, and every component that does not import React fails in the browser.
fn check_vite_config(project: &Project<'_>, scripts: &Scripts<'_>, report: &mut CheckReport) {
    let uses_react = scripts.iter().any(|(path, script)| {
        project.in_frontend(path)
            && script
                .imports
                .iter()
                .any(|i| i.specifier == "react" || i.specifier.starts_with("react-dom"))
    });
    if !uses_react {
        return;
    }
    let config = VITE_CONFIGS
        .iter()
        .map(|name| format!("{}{name}", project.frontend))
        .find(|path| project.has_file(path));
    let Some(config) = config else {
        let path = format!("{}vite.config.js", project.frontend);
        report.problems.push(FitProblem {
            kind: FitKind::MissingViteConfig,
            message: format!(
                "the frontend has no {path}, so Vite compiles its JSX without React's plugin and the page stays blank: write {path} with `import react from \"@vitejs/plugin-react\"` and `export default defineConfig({{ plugins: [react()] }})`"
            ),
            fix_in: Vec::new(),
            missing_file: Some(path),
        });
        return;
    };
    // A configuration that does not parse was reported by its own check.
    let Some(script) = scripts.get(config.as_str()) else {
        return;
    };
    let has_plugin = script
        .imports
        .iter()
        .any(|i| i.specifier.starts_with("@vitejs/plugin-react"));
    if !has_plugin {
        report.problems.push(FitProblem {
            kind: FitKind::MissingViteConfig,
            message: format!(
                "{config} does not use React's plugin, so Vite compiles the JSX the classic way and the page stays blank: add `import react from \"@vitejs/plugin-react\"` and `plugins: [react()]`"
            ),
            fix_in: vec![config],
            missing_file: None,
        });
    }
}

fn check_index(project: &Project<'_>, report: &mut CheckReport) {
    let index = format!("{}index.html", project.frontend);
    let entry = ENTRY_CANDIDATES
        .iter()
        .map(|c| format!("{}{c}", project.frontend))
        .find(|c| project.has_file(c));
    let Some(html) = project.text(&index) else {
        report.problems.push(FitProblem {
            kind: FitKind::MissingFile,
            message: format!(
                "the frontend has no {index}, the page Vite serves: write it, with a `<script type=\"module\" src=\"/{}\">`",
                entry
                    .as_deref()
                    .and_then(|e| e.strip_prefix(&project.frontend))
                    .unwrap_or("src/main.jsx")
            ),
            fix_in: Vec::new(),
            missing_file: Some(index),
        });
        return;
    };
    let sources: Vec<String> = module_script_sources(html);
    let mut missing = Vec::new();
    for src in &sources {
        let path = src.split(['?', '#']).next().unwrap_or_default();
        if path.starts_with("http:") || path.starts_with("https:") || path.starts_with("//") {
            continue;
        }
        let resolved = match path.strip_prefix('/') {
            Some(rooted) => join(&project.frontend, rooted),
            None => join(parent(&index), path),
        };
        match resolved {
            Some(file) if project.has_file(&file) => return,
            Some(file) => missing.push((src.clone(), Some(file))),
            None => missing.push((src.clone(), None)),
        }
    }
    let suggested = entry
        .as_deref()
        .and_then(|e| e.strip_prefix(&project.frontend))
        .map(|e| format!("/{e}"));
    let (message, missing_file) = match (missing.first(), &suggested) {
        (Some((src, _)), Some(suggested)) => (
            format!("{index} loads the module script \"{src}\", which is not a file of the project: point it at \"{suggested}\""),
            None,
        ),
        (Some((src, file)), None) => (
            format!(
                "{index} loads the module script \"{src}\", which is not a file of the project: write {}, or point it at the app's entry file",
                file.as_deref().unwrap_or("that file")
            ),
            file.clone(),
        ),
        (None, _) => (
            format!(
                "{index} has no `<script type=\"module\" src=\"…\">`, so the app never starts: add `<script type=\"module\" src=\"{}\"></script>` to its body",
                suggested.as_deref().unwrap_or("/src/main.jsx")
            ),
            None,
        ),
    };
    report.problems.push(FitProblem {
        kind: FitKind::MissingEntryScript,
        message,
        fix_in: vec![index],
        missing_file,
    });
}

fn check_dev_script(project: &Project<'_>, report: &mut CheckReport) {
    let manifest = format!("{}package.json", project.frontend);
    let Some(text) = project.text(&manifest) else {
        return;
    };
    // A package.json that does not parse was reported by its own check.
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let has_dev = json
        .get("scripts")
        .and_then(|s| s.get("dev"))
        .and_then(|d| d.as_str())
        .is_some_and(|d| !d.trim().is_empty());
    if !has_dev {
        report.problems.push(FitProblem {
            kind: FitKind::MissingDevScript,
            message: format!(
                "{manifest} has no \"dev\" script, so `npm run dev` cannot start the app: add \"dev\": \"vite\" to its \"scripts\""
            ),
            fix_in: vec![manifest],
            missing_file: None,
        });
    }
}

/// The `src` of every `<script type="module" src="…">` in a page, comments left out.
fn module_script_sources(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|tag| tag.name == "script")
        .filter(|tag| {
            tag.attributes
                .iter()
                .any(|(name, value)| name == "type" && value.eq_ignore_ascii_case("module"))
        })
        .filter_map(|tag| {
            tag.attributes
                .into_iter()
                .find(|(name, _)| name == "src")
                .map(|(_, src)| src)
        })
        .collect()
}

/// An opening tag of a page: its lower-case name, its attributes, where it starts.
pub(crate) struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub offset: usize,
}

/// Every opening tag of a page, in order, comments left out.
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = lower[at..].find('<') {
        let start = at + i;
        if lower[start..].starts_with("<!--") {
            at = match lower[start..].find("-->") {
                Some(end) => start + end + 3,
                None => break,
            };
            continue;
        }
        at = start + 1;
        let name_end = lower[start + 1..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(lower.len(), |e| start + 1 + e);
        let name = &lower[start + 1..name_end];
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some(end) = tag_end(&lower, start) else {
            break;
        };
        found.push(Tag {
            name: name.to_string(),
            attributes: attributes(&html[name_end..end]),
            offset: start,
        });
        at = end;
    }
    found
}

/// Where the tag opened at `start` closes (the `>` outside quotes).
fn tag_end(text: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text[start..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(start + i),
            _ => {}
        }
    }
    None
}

/// A tag's attributes as (lower-case name, value) pairs.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = tag;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if name_end == 0 {
            break;
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let end = inner.find(q).unwrap_or(inner.len());
                    rest = inner.get(end + 1..).unwrap_or("");
                    inner[..end].to_string()
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    rest = &after[end..];
                    after[..end].to_string()
                }
            }
        } else {
            String::new()
        };
        found.push((name, value));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_module_scripts_and_ignores_the_rest() {
        let html = r#"<!doctype html><html><head>
<!-- <script type="module" src="/old.js"></script> -->
<script src="/legacy.js"></script>
<SCRIPT TYPE='module' SRC='/src/main.jsx?v=1'></SCRIPT>
<script type=module src=/src/other.js defer></script>
</head><body><div id="root"></div></body></html>"#;
        assert_eq!(
            module_script_sources(html),
            ["/src/main.jsx?v=1", "/src/other.js"]
        );
    }

    #[test]
    fn survives_broken_markup() {
        assert!(module_script_sources("<script type=\"module\" src=\"/a").is_empty());
        assert!(module_script_sources("<!-- never closed <script").is_empty());
        assert!(module_script_sources("<<<>>>\u{0}<script").is_empty());
    }
}
