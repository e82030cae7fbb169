//! Packages: every bare npm import declared in package.json, every third-party Python import
//! declared in requirements.txt.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::js::{Scripts, Specifier};
use crate::paths::{join, parent};
use crate::project::Project;
use crate::python::{Modules, Origin};
use crate::{to_u32, CheckReport, FitKind, FitProblem};

/// Node's built-in modules, importable without `node:` (config files such as vite.config.js
/// use `path` and `url`).
const NODE_BUILTINS: [&str; 44] = [
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "test",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
    "sqlite",
];

/// Import names whose distribution is called something else: the first distribution is the
/// one to add; any of them satisfies the import.
const DISTRIBUTIONS: [(&str, &[&str]); 34] = [
    ("Crypto", &["pycryptodome", "pycryptodomex", "pycrypto"]),
    ("MySQLdb", &["mysqlclient"]),
    ("OpenSSL", &["pyOpenSSL"]),
    ("PIL", &["Pillow"]),
    ("attr", &["attrs"]),
    ("bs4", &["beautifulsoup4"]),
    (
        "cv2",
        &[
            "opencv-python",
            "opencv-python-headless",
            "opencv-contrib-python",
        ],
    ),
    ("dateutil", &["python-dateutil"]),
    ("docx", &["python-docx"]),
    ("dotenv", &["python-dotenv"]),
    ("fitz", &["PyMuPDF"]),
    ("google", &["protobuf"]),
    ("jose", &["python-jose"]),
    ("jwt", &["PyJWT"]),
    ("magic", &["python-magic"]),
    ("multipart", &["python-multipart"]),
    ("pkg_resources", &["setuptools"]),
    ("pptx", &["python-pptx"]),
    ("psycopg2", &["psycopg2-binary", "psycopg2"]),
    ("pydantic", &["pydantic"]),
    ("pydantic_settings", &["pydantic-settings"]),
    ("serial", &["pyserial"]),
    ("skimage", &["scikit-image"]),
    ("sklearn", &["scikit-learn"]),
    ("sqlalchemy", &["SQLAlchemy"]),
    ("starlette", &["starlette"]),
    ("usb", &["pyusb"]),
    ("uvicorn", &["uvicorn"]),
    ("websocket", &["websocket-client"]),
    ("yaml", &["PyYAML"]),
    ("jinja2", &["Jinja2"]),
    ("email_validator", &["email-validator"]),
    ("socketio", &["python-socketio"]),
    ("Levenshtein", &["python-Levenshtein", "Levenshtein"]),
];

/// Distributions that install others with them (normalised names): a declared FastAPI
/// brings Starlette and Pydantic.
const BRINGS: [(&str, &[&str]); 5] = [
    (
        "fastapi",
        &[
            "starlette",
            "pydantic",
            "pydantic-core",
            "typing-extensions",
            "anyio",
            "annotated-types",
        ],
    ),
    (
        "pydantic",
        &["pydantic-core", "typing-extensions", "annotated-types"],
    ),
    (
        "sqlmodel",
        &[
            "sqlalchemy",
            "pydantic",
            "pydantic-core",
            "typing-extensions",
        ],
    ),
    ("starlette", &["anyio", "typing-extensions"]),
    ("uvicorn", &["click", "h11"]),
];

/// Checks every bare import of the frontend's scripts against its package.json.
pub(crate) fn check_npm(project: &Project<'_>, scripts: &Scripts<'_>, report: &mut CheckReport) {
    let manifest = format!("{}package.json", project.frontend);
    let mut importers: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut any_script = false;
    for (path, script) in scripts {
        if !project.in_frontend(path) {
            continue;
        }
        any_script = true;
        for import in &script.imports {
            if let Specifier::Bare(specifier) = Specifier::of(&import.specifier) {
                if let Some(package) = npm_package(specifier) {
                    let files = importers.entry(package.to_string()).or_default();
                    if !files.contains(path) {
                        files.push(path);
                    }
                }
            }
        }
    }
    let Some(text) = project.text(&manifest) else {
        if any_script {
            report.problems.push(FitProblem {
                kind: FitKind::MissingFile,
                message: format!(
                    "the frontend has no {manifest}, so none of its packages is declared and `npm run dev` cannot start it: write {manifest} with its \"dependencies\" and a \"dev\" script"
                ),
                fix_in: Vec::new(),
                missing_file: Some(manifest),
            });
        }
        return;
    };
    // A package.json that does not parse was reported by its own check.
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let declared: HashSet<&str> = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ]
    .iter()
    .filter_map(|section| json.get(section).and_then(|s| s.as_object()))
    .flat_map(|section| section.keys().map(String::as_str))
    .collect();
    report.packages = report.packages.saturating_add(to_u32(importers.len()));
    for (package, files) in importers {
        if declared.contains(package.as_str()) {
            continue;
        }
        let who = files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let verb = if files.len() == 1 {
            "imports"
        } else {
            "import"
        };
        let mut fix_in: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        fix_in.push(manifest.clone());
        report.problems.push(FitProblem {
            kind: FitKind::UndeclaredPackage,
            message: format!(
                "{who} {verb} `{package}`, which {manifest} does not declare: add \"{package}\" to its \"dependencies\", or stop using it"
            ),
            fix_in,
            missing_file: None,
        });
    }
}

/// The npm package a bare specifier names (`@scope/name` or `name`); `None` for Node's
/// built-ins and names no package can have.
pub(crate) fn npm_package(specifier: &str) -> Option<&str> {
    let mut segments = specifier.split('/');
    let first = segments.next()?;
    let package = if first.starts_with('@') {
        let second = segments.next().filter(|s| !s.is_empty())?;
        &specifier[..first.len() + 1 + second.len()]
    } else {
        first
    };
    if first.is_empty() || NODE_BUILTINS.contains(&first) {
        return None;
    }
    let valid = package
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '@' | '/'));
    valid.then_some(package)
}

/// Checks every third-party import of the backend against its requirements.txt.
pub(crate) fn check_python(project: &Project<'_>, modules: &Modules<'_>, report: &mut CheckReport) {
    let Some(backend) = &project.backend else {
        return;
    };
    let manifest = format!("{backend}requirements.txt");
    let mut importers: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (path, module) in modules {
        for import in &module.imports {
            if let Origin::ThirdParty(name) = &import.origin {
                let files = importers.entry(name.clone()).or_default();
                if !files.contains(path) {
                    files.push(path);
                }
            }
        }
    }
    if importers.is_empty() {
        return;
    }
    let Some(text) = project.text(&manifest) else {
        report.problems.push(FitProblem {
            kind: FitKind::MissingFile,
            message: format!(
                "the backend has no {manifest}, so none of its packages is declared: write {manifest} listing every package it imports"
            ),
            fix_in: Vec::new(),
            missing_file: Some(manifest),
        });
        return;
    };
    let declared = requirements(project, &manifest, text);
    report.packages = report.packages.saturating_add(to_u32(importers.len()));
    for (name, files) in importers {
        let accepted = distributions(&name);
        // `google.cloud.storage` comes from google-cloud-storage: any google-* will do.
        let satisfied = accepted.iter().any(|d| declared.contains(&normalise(d)))
            || (name == "google" && declared.iter().any(|d| d.starts_with("google-")));
        if satisfied {
            continue;
        }
        let add = accepted.first().cloned().unwrap_or_else(|| name.clone());
        let who = files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let verb = if files.len() == 1 {
            "imports"
        } else {
            "import"
        };
        let what = if normalise(&add) == normalise(&name) {
            format!("`{name}`")
        } else {
            format!("`{name}` (the {add} package)")
        };
        let mut fix_in: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        fix_in.push(manifest.clone());
        report.problems.push(FitProblem {
            kind: FitKind::UndeclaredPythonPackage,
            message: format!(
                "{who} {verb} {what}, which {manifest} does not declare: add `{add}` there, or stop using it"
            ),
            fix_in,
            missing_file: None,
        });
    }
}

/// The distributions that provide an import (its first dotted segment): the known renames,
/// else the name itself.
fn distributions(import: &str) -> Vec<String> {
    match DISTRIBUTIONS.iter().find(|(name, _)| *name == import) {
        Some((_, dists)) => dists.iter().map(|d| d.to_string()).collect(),
        None => vec![import.to_string()],
    }
}

/// A distribution name as PEP 503 compares them: lower case, runs of `-`, `_`, `.` as `-`.
pub(crate) fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The normalised names a requirements file declares, with those they bring, following
/// `-r other.txt` includes inside the project.
fn requirements(project: &Project<'_>, path: &str, text: &str) -> BTreeSet<String> {
    let mut declared = BTreeSet::new();
    let mut seen = HashSet::new();
    let mut queue = vec![(path.to_string(), text)];
    while let Some((path, text)) = queue.pop() {
        if !seen.insert(path.clone()) || seen.len() > 16 {
            continue;
        }
        for line in text.lines() {
            let line = line.split(" #").next().unwrap_or_default().trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(include) = line
                .strip_prefix("-r ")
                .or_else(|| line.strip_prefix("--requirement "))
                .or_else(|| line.strip_prefix("--requirement="))
            {
                if let Some(other) = join(parent(&path), include.trim()) {
                    if let Some(text) = project.text(&other) {
                        queue.push((other, text));
                    }
                }
                continue;
            }
            if line.starts_with('-') || (line.contains("://") && !line.contains(" @ ")) {
                continue;
            }
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                declared.insert(normalise(&name));
            }
        }
    }
    let brought: Vec<String> = BRINGS
        .iter()
        .filter(|(dist, _)| declared.contains(*dist))
        .flat_map(|(_, brings)| brings.iter().map(|b| b.to_string()))
        .collect();
    declared.extend(brought);
    declared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Layout, SourceFile};

    #[test]
    fn names_npm_packages_from_specifiers() {
        assert_eq!(npm_package("react"), Some("react"));
        assert_eq!(npm_package("react-dom/client"), Some("react-dom"));
        assert_eq!(
            npm_package("@tanstack/react-query"),
            Some("@tanstack/react-query")
        );
        assert_eq!(npm_package("@mui/material/Button"), Some("@mui/material"));
        assert_eq!(npm_package("@scope"), None);
        assert_eq!(npm_package("path"), None);
        assert_eq!(npm_package("fs/promises"), None);
    }

    #[test]
    fn normalises_distribution_names_like_pep_503() {
        assert_eq!(normalise("PyYAML"), "pyyaml");
        assert_eq!(normalise("python_dotenv"), "python-dotenv");
        assert_eq!(normalise("zope.interface"), "zope-interface");
        assert_eq!(normalise("Foo__Bar--baz"), "foo-bar-baz");
    }

    #[test]
    fn reads_requirement_names_whatever_follows_them() {
        let text = "# web\nfastapi==0.115.0\nuvicorn[standard]>=0.30 ; python_version >= '3.9'\nPyYAML>=6  # config\n-r more.txt\n--index-url https://example.com/simple\npkg @ https://example.com/pkg.whl\n\n";
        let files = [
            SourceFile {
                path: "backend/requirements.txt",
                text,
            },
            SourceFile {
                path: "backend/more.txt",
                text: "Requests\n",
            },
        ];
        let layout = Layout {
            frontend_root: "frontend/".into(),
            backend_root: Some("backend/".into()),
        };
        let project = Project::new(&layout, &files);
        let declared = requirements(&project, "backend/requirements.txt", text);
        for name in [
            "fastapi",
            "uvicorn",
            "pyyaml",
            "requests",
            "pkg",
            "starlette",
            "pydantic",
            "click",
        ] {
            assert!(declared.contains(name), "{name} in {declared:?}");
        }
        assert!(!declared.contains("index-url"));
    }

    #[test]
    fn knows_which_distribution_provides_an_import() {
        assert_eq!(distributions("yaml"), ["PyYAML"]);
        assert_eq!(distributions("psycopg2"), ["psycopg2-binary", "psycopg2"]);
        assert_eq!(distributions("numpy"), ["numpy"]);
    }
}
