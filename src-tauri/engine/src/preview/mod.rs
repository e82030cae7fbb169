//! Turns a project's files, as stored in S3, into a page the preview pane can run: JSX/TSX/TS
//! compiled to ES modules by oxc, imports resolved among the project's files, CSS and JSON
//! imports made into modules, React mapped to the app's vendored builds by an import map.

use std::collections::BTreeSet;
use std::path::Path;

use oxc::allocator::Allocator;
use oxc::codegen::Codegen;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{TransformOptions, Transformer};

use crate::file_kind::FileKind;
use crate::validate::{script, Problem};

pub mod backend;
mod server;
pub use backend::{ApiAnswer, ApiCall, SimulatedBackend};
pub use server::{
    PreviewApi, PreviewResponse, PreviewServer, PreviewSource, SimulatedBackends, VendorFiles,
};

/// Served by the preview handler itself, not from the project.
pub const INTERNAL_PREFIX: &str = "/__bucketforge/";
/// Where the vendored React and Tailwind builds are served.
pub const VENDOR_PREFIX: &str = "/__bucketforge/vendor/";
/// Where each project's simulated backend answers: `{API_PREFIX}{user}/{slug}/api/...`.
pub const API_PREFIX: &str = "/__bucketforge/api/";
/// The script that shows the generated app's errors inside the pane.
pub const OVERLAY_PATH: &str = "/__bucketforge/overlay.js";

/// Bare imports the preview can satisfy, and the vendored file each maps to.
pub const VENDORED_MODULES: &[(&str, &str)] = &[
    ("react", "react.js"),
    ("react/jsx-runtime", "react-jsx-runtime.js"),
    ("react/jsx-dev-runtime", "react-jsx-runtime.js"),
    ("react-dom", "react-dom.js"),
    ("react-dom/client", "react-dom-client.js"),
];

/// The npm packages the preview can run: what the prompts allow a frontend to import.
pub fn preview_packages() -> Vec<&'static str> {
    let mut packages: Vec<&str> = VENDORED_MODULES
        .iter()
        .map(|(module, _)| module.split('/').next().unwrap_or(module))
        .collect();
    packages.dedup();
    packages
}

/// Extensions tried, in order, for an import written without one (Vite's order).
const RESOLVE_EXTENSIONS: &[&str] = &[".jsx", ".tsx", ".js", ".ts", ".mjs", ".json"];

/// How the handler serves a file that a module imports: the file-type table decides.
pub use crate::file_kind::ModuleAs;

impl ModuleAs {
    /// The query a rewritten import carries so the handler knows what to serve.
    pub fn query(self) -> &'static str {
        match self {
            ModuleAs::Script => "",
            ModuleAs::Style => "?as=style",
            ModuleAs::Json => "?as=json",
            ModuleAs::Url => "?as=url",
        }
    }

    pub fn from_query(query: Option<&str>) -> Option<Self> {
        match query {
            None | Some("") => None,
            Some("as=style") => Some(ModuleAs::Style),
            Some("as=json") => Some(ModuleAs::Json),
            Some("as=url") => Some(ModuleAs::Url),
            Some(_) => None,
        }
    }

    /// How a file is served by default, from its extension.
    pub(crate) fn for_path(path: &str) -> Self {
        FileKind::of(path).preview
    }
}

/// One project as the preview sees it: its URL root and the paths of its files.
#[derive(Debug, Clone)]
pub struct PreviewSite {
    /// The URL path every file is served under, e.g. `/alice/todo/` (with the trailing `/`).
    pub url_root: String,
    /// The folder holding the web frontend (its `index.html`), e.g. `frontend/`, or "".
    pub frontend_dir: String,
    /// Every file path of the project.
    pub files: BTreeSet<String>,
    /// The URL of the project's simulated backend (`VITE_API_URL`), when its contract has
    /// endpoints.
    pub api_base: Option<String>,
}

/// What an import specifier points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file of the project, served as `as`.
    File { path: String, module_as: ModuleAs },
    /// A package from the import map.
    Vendored(String),
    /// A package the preview does not have.
    UnknownPackage(String),
    /// A relative import with no matching file.
    MissingFile(String),
}

impl PreviewSite {
    /// The URL of a project file.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.url_root)
    }

    /// Resolves `spec` imported from the file `from`, like Vite does.
    pub fn resolve(&self, from: &str, spec: &str) -> Resolved {
        let (spec, explicit_query) = match spec.split_once('?') {
            Some((s, q)) => (s, Some(q)),
            None => (spec, None),
        };
        let base = if spec.starts_with("./") || spec.starts_with("../") {
            let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
            join(dir, spec)
        } else if let Some(rooted) = spec.strip_prefix('/') {
            // Vite resolves "/src/x" against the folder that holds index.html.
            Some(format!("{}{rooted}", self.frontend_dir))
        } else {
            return self.resolve_package(spec);
        };
        let Some(base) = base else {
            return Resolved::MissingFile(spec.to_string());
        };
        let candidates = std::iter::once(base.clone())
            .chain(RESOLVE_EXTENSIONS.iter().map(|ext| format!("{base}{ext}")))
            .chain(
                RESOLVE_EXTENSIONS
                    .iter()
                    .map(|ext| format!("{base}/index{ext}")),
            );
        for candidate in candidates {
            if self.files.contains(&candidate) {
                let module_as = match explicit_query {
                    Some("url") => ModuleAs::Url,
                    _ => ModuleAs::for_path(&candidate),
                };
                return Resolved::File {
                    path: candidate,
                    module_as,
                };
            }
        }
        Resolved::MissingFile(spec.to_string())
    }

    fn resolve_package(&self, spec: &str) -> Resolved {
        if VENDORED_MODULES.iter().any(|(name, _)| *name == spec) {
            return Resolved::Vendored(spec.to_string());
        }
        // "@scope/pkg/sub" → "@scope/pkg"; "pkg/sub" → "pkg".
        let mut parts = spec.split('/');
        let package = match parts.next() {
            Some(scope) if scope.starts_with('@') => {
                format!("{scope}/{}", parts.next().unwrap_or_default())
            }
            Some(name) => name.to_string(),
            None => spec.to_string(),
        };
        Resolved::UnknownPackage(package)
    }

    /// The URL an import of `spec` from `from` is rewritten to.
    fn import_url(&self, from: &str, spec: &str) -> String {
        match self.resolve(from, spec) {
            Resolved::File { path, module_as } => {
                format!("{}{}", self.url_of(&path), module_as.query())
            }
            Resolved::Vendored(name) => name,
            Resolved::UnknownPackage(package) => error_module_url(&format!(
                "{from} imports the package “{package}”, which the preview can't load. \
                 The preview includes react and react-dom; run the project with npm to use other packages."
            )),
            Resolved::MissingFile(spec) => error_module_url(&format!(
                "{from} imports “{spec}”, but no such file is in the project."
            )),
        }
    }

    /// Compiles a JS/JSX/TS/TSX file to a browser ES module with every import rewritten, and
    /// `import.meta.env` defined as Vite's dev server defines it when the module reads it.
    pub fn compile_script(&self, path: &str, source: &str) -> Result<String, Problem> {
        // A file in the bucket may be nested deeper than a worker thread's stack allows.
        let js = crate::sync::on_deep_stack(|| {
            compile_to_js(path, source).map(|js| self.rewrite_imports(path, &js))
        })?;
        if js.contains("import.meta.env") {
            Ok(format!(
                "import.meta.env = {};\n{js}",
                vite_env(self.api_base.as_deref())
            ))
        } else {
            Ok(js)
        }
    }

    /// Rewrites the specifier of every static import, re-export and literal dynamic import.
    fn rewrite_imports(&self, path: &str, js: &str) -> String {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, js, SourceType::mjs()).parse();
        let mut edits: Vec<(u32, u32, String)> = Vec::new();
        for (spec, requests) in &parsed.module_record.requested_modules {
            let url = self.import_url(path, spec.as_str());
            for request in requests {
                edits.push((request.span.start, request.span.end, quote(&url)));
            }
        }
        for dynamic in &parsed.module_record.dynamic_imports {
            let text =
                &js[dynamic.module_request.start as usize..dynamic.module_request.end as usize];
            // Only literal specifiers can be resolved ahead of time.
            if let Ok(spec) = serde_json::from_str::<String>(&text.replace('\'', "\"")) {
                let url = self.import_url(path, &spec);
                edits.push((
                    dynamic.module_request.start,
                    dynamic.module_request.end,
                    quote(&url),
                ));
            }
        }
        edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
        let mut out = js.to_string();
        for (start, end, replacement) in edits {
            out.replace_range(start as usize..end as usize, &replacement);
        }
        out
    }

    /// The page to show: the project's `index.html` with its module scripts pointed at the
    /// project, or one synthesised around `src/main.*` when the project has none; either way
    /// with the import map and the error overlay first in `<head>`.
    pub fn index_html(&self, html: Option<&str>, vendor_url: &str) -> (String, String) {
        let import_map = self.import_map(vendor_url);
        let head = format!(
            "<script type=\"importmap\">{import_map}</script>\n<script src=\"{OVERLAY_PATH}\"></script>\n{}",
            self.tailwind_tag(vendor_url)
        );
        let page = match html {
            Some(html) => {
                let html = self.rewrite_html_urls(html);
                match html.find("<head>") {
                    Some(i) => format!("{}\n{head}{}", &html[..i + 6], &html[i + 6..]),
                    None => format!("{head}{html}"),
                }
            }
            None => {
                let entry = ["src/main.jsx", "src/main.tsx", "src/main.js", "src/main.ts"]
                    .iter()
                    .map(|p| format!("{}{p}", self.frontend_dir))
                    .find(|p| self.files.contains(p));
                let script = match entry {
                    Some(entry) => format!(
                        "<script type=\"module\" src=\"{}\"></script>",
                        self.url_of(&entry)
                    ),
                    None => format!(
                        "<script type=\"module\" src=\"{}\"></script>",
                        error_module_url("The project has neither an index.html nor a src/main file to start from.")
                    ),
                };
                format!(
                    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{head}</head>\n<body>\n<div id=\"root\"></div>\n{script}\n</body>\n</html>\n"
                )
            }
        };
        (page, import_map)
    }

    /// Points root-relative `src` and `href` attributes (Vite style, "/src/main.jsx") at the
    /// project's files.
    fn rewrite_html_urls(&self, html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(i) = find_attr(rest) {
            let (before, after) = rest.split_at(i);
            out.push_str(before);
            // `find_attr` stops at `src="` or `href='`: an `=` and a quote always follow.
            let Some((quote_char, value_start)) = after
                .find('=')
                .and_then(|eq| Some((*after.as_bytes().get(eq + 1)? as char, eq + 2)))
            else {
                out.push_str(after);
                rest = "";
                break;
            };
            let Some(len) = after[value_start..].find(quote_char) else {
                out.push_str(after);
                rest = "";
                break;
            };
            let value = &after[value_start..value_start + len];
            out.push_str(&after[..value_start]);
            match value.strip_prefix('/') {
                Some(rooted) if !value.starts_with("//") => {
                    out.push_str(&self.url_of(&format!("{}{rooted}", self.frontend_dir)));
                }
                _ => out.push_str(value),
            }
            rest = &after[value_start + len..];
        }
        out.push_str(rest);
        out
    }

    fn import_map(&self, vendor_url: &str) -> String {
        let imports: serde_json::Map<String, serde_json::Value> = VENDORED_MODULES
            .iter()
            .map(|(name, file)| ((*name).to_string(), format!("{vendor_url}{file}").into()))
            .collect();
        serde_json::json!({ "imports": imports }).to_string()
    }

    /// Tailwind's browser build, only when the project uses Tailwind.
    fn tailwind_tag(&self, vendor_url: &str) -> String {
        let uses_tailwind = self.files.iter().any(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            name.starts_with("tailwind.config.")
        });
        if uses_tailwind {
            format!("<script data-tailwind src=\"{vendor_url}tailwind.js\"></script>\n")
        } else {
            String::new()
        }
    }
}

/// `src="` or `href="` (or with single quotes), case-insensitively.
fn find_attr(html: &str) -> Option<usize> {
    let lower = html.to_ascii_lowercase();
    ["src=\"", "src='", "href=\"", "href='"]
        .iter()
        .filter_map(|attr| {
            lower
                .match_indices(attr)
                .find(|(i, _)| *i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace())
                .map(|(i, _)| i)
        })
        .min()
}

/// `dir` joined with a `./` or `../` specifier; `None` if it climbs out of the project.
fn join(dir: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for segment in spec.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A module URL whose only effect is to throw `message` (shown by the overlay).
pub fn error_module_url(message: &str) -> String {
    let encoded: String = message
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{INTERNAL_PREFIX}error.js?message={encoded}")
}

/// The module behind [`error_module_url`].
pub fn error_module(message: &str) -> String {
    format!("throw new Error({});\n", quote(message))
}

/// JSX/TSX/TS → plain JavaScript (automatic JSX runtime, types stripped).
fn compile_to_js(path: &str, source: &str) -> Result<String, Problem> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, script::source_type_for(path)).parse();
    if let Some(e) = parsed.diagnostics.errors().next() {
        return Err(script::problem(e, source));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .build(&program)
        .semantic
        .into_scoping();
    let options = TransformOptions::default();
    let transformed = Transformer::new(&allocator, Path::new(path), &options)
        .build_with_scoping(scoping, &mut program);
    if let Some(e) = transformed.diagnostics.first() {
        return Err(script::problem(e, source));
    }
    Ok(Codegen::new().build(&program).code)
}

/// A stylesheet as a module that adds it to the page.
pub fn style_module(path: &str, css: &str, vendor_url: &str) -> String {
    // Tailwind's lines mean nothing to a browser: the browser build reads the classes instead.
    let (css, tailwind) = if imports_tailwind(css) {
        let kept: Vec<&str> = css.lines().filter(|line| !imports_tailwind(line)).collect();
        let loader = format!(
            "if (!document.querySelector('script[data-tailwind]')) {{\n  const tw = document.createElement('script');\n  tw.dataset.tailwind = '';\n  tw.src = {};\n  document.head.append(tw);\n}}\n",
            quote(&format!("{vendor_url}tailwind.js"))
        );
        (kept.join("\n"), loader)
    } else {
        (css.to_string(), String::new())
    };
    format!(
        "{tailwind}const style = document.createElement('style');\nstyle.dataset.file = {};\nstyle.textContent = {};\ndocument.head.append(style);\n",
        quote(path),
        quote(&css)
    )
}

/// `import.meta.env` as Vite's dev server has it, with `VITE_API_URL` pointing at the
/// project's simulated backend when it has one (a project can't hold a `.env` file, so no
/// other `VITE_*` variable is set).
pub fn vite_env(api_base: Option<&str>) -> String {
    let mut env = serde_json::json!({
        "MODE": "development",
        "DEV": true,
        "PROD": false,
        "SSR": false,
        "BASE_URL": "/",
    });
    if let Some(base) = api_base {
        env["VITE_API_URL"] = base.into();
    }
    env.to_string()
}

/// A stylesheet importing Tailwind v4's way (`@import "tailwindcss"`), or with v3's
/// directives (`@tailwind base;`): the preview runs Tailwind's browser build for it.
fn imports_tailwind(css: &str) -> bool {
    css.lines().map(str::trim).any(|line| {
        line.starts_with("@tailwind ")
            || line.starts_with("@import \"tailwindcss")
            || line.starts_with("@import 'tailwindcss")
            || line.starts_with("@import url(\"tailwindcss")
    })
}

/// A JSON file as a module.
pub fn json_module(json: &str) -> Result<String, Problem> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Problem::at_line(e.to_string(), e.line() as u32, Some(e.column() as u32)))?;
    Ok(format!("export default {value};\n"))
}

/// Any other file as a module whose default export is its URL.
pub fn url_module(url: &str) -> String {
    format!("export default {};\n", quote(url))
}

/// The Content-Security-Policy of every preview response. Generated code may run scripts
/// from the preview origin and the import map, and connect only to its own simulated backend
/// (`api_base`, on the page that has one), nowhere else.
pub fn content_security_policy(
    origin: &str,
    import_map: Option<&str>,
    api_base: Option<&str>,
) -> String {
    let connect = match api_base {
        Some(base) => format!("{base}/"),
        None => "'none'".to_string(),
    };
    let import_map_hash = import_map
        .map(|m| {
            use base64::Engine;
            use sha2::Digest;
            let digest = sha2::Sha256::digest(m.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src {origin}{import_map_hash}; style-src {origin} 'unsafe-inline'; \
         img-src {origin} data: blob:; font-src {origin} data:; connect-src {connect}; \
         frame-src 'none'; worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[&str]) -> PreviewSite {
        PreviewSite {
            url_root: "/alice/todo/".into(),
            frontend_dir: "frontend/".into(),
            files: files.iter().map(|f| f.to_string()).collect(),
            api_base: None,
        }
    }

    #[test]
    fn compiles_jsx_to_an_es_module_on_reacts_automatic_runtime() {
        let s = site(&["frontend/src/App.jsx"]);
        let out = s
            .compile_script(
                "frontend/src/App.jsx",
                "export default function App() { return <h1 className=\"t\">Hello</h1>; }\n",
            )
            .unwrap();
        assert!(out.contains("from \"react/jsx-runtime\""), "{out}");
        assert!(!out.contains("<h1"), "{out}");
    }

    #[test]
    fn strips_typescript_from_tsx() {
        let s = site(&["frontend/src/Card.tsx"]);
        let out = s
            .compile_script(
                "frontend/src/Card.tsx",
                "type P = { title: string };\nexport function Card({ title }: P): JSX.Element { return <b>{title}</b>; }\nexport const n = 1 as number;\n",
            )
            .unwrap();
        assert!(!out.contains("type P"), "{out}");
        assert!(!out.contains(": P"), "{out}");
        assert!(!out.contains("as number"), "{out}");
    }

    #[test]
    fn resolves_relative_imports_with_extension_and_index_lookup() {
        let s = site(&[
            "frontend/src/main.jsx",
            "frontend/src/App.tsx",
            "frontend/src/components/index.js",
            "frontend/src/lib/api.ts",
        ]);
        let from = "frontend/src/main.jsx";
        assert_eq!(
            s.resolve(from, "./App"),
            Resolved::File {
                path: "frontend/src/App.tsx".into(),
                module_as: ModuleAs::Script
            }
        );
        assert_eq!(
            s.resolve(from, "./components"),
            Resolved::File {
                path: "frontend/src/components/index.js".into(),
                module_as: ModuleAs::Script
            }
        );
        assert_eq!(
            s.resolve("frontend/src/components/index.js", "../lib/api"),
            Resolved::File {
                path: "frontend/src/lib/api.ts".into(),
                module_as: ModuleAs::Script
            }
        );
        assert_eq!(
            s.resolve(from, "/src/App.tsx"),
            Resolved::File {
                path: "frontend/src/App.tsx".into(),
                module_as: ModuleAs::Script
            }
        );
        assert_eq!(
            s.resolve(from, "./Nope"),
            Resolved::MissingFile("./Nope".into())
        );
        assert_eq!(
            s.resolve(from, "../../../../etc/passwd"),
            Resolved::MissingFile("../../../../etc/passwd".into())
        );
    }

    #[test]
    fn rewrites_imports_to_project_urls_css_and_json_included() {
        let s = site(&[
            "frontend/src/main.jsx",
            "frontend/src/App.jsx",
            "frontend/src/index.css",
            "frontend/src/data.json",
            "frontend/src/logo.svg",
        ]);
        let out = s
            .compile_script(
                "frontend/src/main.jsx",
                "import React from 'react';\nimport { createRoot } from 'react-dom/client';\nimport App from './App';\nimport './index.css';\nimport data from './data.json';\nimport logo from './logo.svg';\nexport * from './App.jsx';\nconst lazy = () => import('./App');\ncreateRoot(document.getElementById('root')).render(<App data={data} logo={logo} />);\n",
            )
            .unwrap();
        assert!(out.contains("from \"react\""), "{out}");
        assert!(out.contains("from \"react-dom/client\""), "{out}");
        assert!(
            out.contains("\"/alice/todo/frontend/src/App.jsx\""),
            "{out}"
        );
        assert!(
            out.contains("import \"/alice/todo/frontend/src/index.css?as=style\""),
            "{out}"
        );
        assert!(
            out.contains("\"/alice/todo/frontend/src/data.json?as=json\""),
            "{out}"
        );
        assert!(
            out.contains("\"/alice/todo/frontend/src/logo.svg?as=url\""),
            "{out}"
        );
        assert!(
            out.contains("import(\"/alice/todo/frontend/src/App.jsx\")"),
            "{out}"
        );
        assert!(!out.contains("'./App'"), "{out}");
    }

    #[test]
    fn an_unknown_package_becomes_a_module_that_names_it() {
        let s = site(&["frontend/src/App.jsx"]);
        let out = s
            .compile_script("frontend/src/App.jsx", "import axios from 'axios';\nimport { x } from '@tanstack/react-query/build';\nexport default axios;\n")
            .unwrap();
        assert!(out.contains("/__bucketforge/error.js?message="), "{out}");
        assert!(out.contains("%E2%80%9Caxios%E2%80%9D"), "{out}");
        assert!(
            out.contains("%E2%80%9C%40tanstack%2Freact-query%E2%80%9D"),
            "{out}"
        );
    }

    #[test]
    fn a_file_nested_thousands_of_levels_deep_compiles_without_crashing_the_app() {
        let s = site(&["src/deep.js"]);
        let deep = format!("export const x = {}1;\n", "- ".repeat(100_000));
        assert!(s.compile_script("src/deep.js", &deep).is_ok());
    }

    #[test]
    fn a_module_that_reads_import_meta_env_gets_vites_values() {
        let s = site(&["frontend/src/api.js"]);
        let out = s
            .compile_script(
                "frontend/src/api.js",
                "export const API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\nexport const dev = import.meta.env.DEV;\n",
            )
            .unwrap();
        let first = out.lines().next().unwrap();
        let env: serde_json::Value = serde_json::from_str(
            first
                .strip_prefix("import.meta.env = ")
                .unwrap()
                .trim_end_matches(';'),
        )
        .unwrap();
        assert_eq!(env["MODE"], "development");
        assert_eq!(env["DEV"], true);
        assert_eq!(env["PROD"], false);
        assert_eq!(env["BASE_URL"], "/");
        // A module that doesn't read it is left as it was.
        let plain = s
            .compile_script("frontend/src/api.js", "export const x = 1;\n")
            .unwrap();
        assert!(!plain.contains("import.meta.env"), "{plain}");
    }

    #[test]
    fn a_stylesheet_that_imports_tailwind_either_way_loads_its_browser_build_once() {
        for css in [
            "@import \"tailwindcss\";\nbody { margin: 0; }\n",
            "@import 'tailwindcss';\nbody { margin: 0; }\n",
            "@tailwind base;\n@tailwind components;\n@tailwind utilities;\nbody { margin: 0; }\n",
        ] {
            let module = style_module("src/index.css", css, "/v/");
            assert!(module.contains("\"/v/tailwind.js\""), "{module}");
            assert!(module.contains("script[data-tailwind]"), "{module}");
            assert!(!module.contains("@import"), "{module}");
            assert!(!module.contains("@tailwind"), "{module}");
            assert!(module.contains("body { margin: 0; }"), "{module}");
        }
    }

    #[test]
    fn error_modules_throw_the_message_as_written() {
        assert_eq!(error_module("it's “x”"), "throw new Error(\"it's “x”\");\n");
    }

    #[test]
    fn css_and_json_become_modules() {
        let css = style_module("frontend/src/index.css", "body { color: red; }\n", "/v/");
        assert!(css.contains("document.createElement('style')"));
        assert!(css.contains("\"body { color: red; }\\n\""));
        assert!(!css.contains("tailwind"), "{css}");
        assert_eq!(
            json_module("{\"a\": [1]}").unwrap(),
            "export default {\"a\":[1]};\n"
        );
        assert!(json_module("{").is_err());
    }

    #[test]
    fn the_project_page_gets_the_import_map_and_project_urls() {
        let s = site(&["frontend/index.html", "frontend/src/main.jsx"]);
        let html = "<!doctype html>\n<html><head><link rel=\"icon\" href=\"/vite.svg\"><link href=\"https://fonts.example/x.css\" rel=\"stylesheet\"></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>";
        let (page, import_map) = s.index_html(Some(html), "/__bucketforge/vendor/");
        assert!(page.contains("<script type=\"importmap\">"), "{page}");
        assert!(
            page.contains("src=\"/alice/todo/frontend/src/main.jsx\""),
            "{page}"
        );
        assert!(
            page.contains("href=\"/alice/todo/frontend/vite.svg\""),
            "{page}"
        );
        assert!(
            page.contains("href=\"https://fonts.example/x.css\""),
            "{page}"
        );
        assert!(page.find("importmap").unwrap() < page.find("main.jsx").unwrap());
        assert!(
            import_map
                .contains("\"react-dom/client\":\"/__bucketforge/vendor/react-dom-client.js\""),
            "{import_map}"
        );
    }

    #[test]
    fn a_page_is_synthesised_when_there_is_no_index_html() {
        let s = site(&["frontend/src/main.tsx", "frontend/tailwind.config.js"]);
        let (page, _) = s.index_html(None, "/v/");
        assert!(page.contains("<div id=\"root\"></div>"), "{page}");
        assert!(
            page.contains("src=\"/alice/todo/frontend/src/main.tsx\""),
            "{page}"
        );
        assert!(page.contains("/v/tailwind.js"), "{page}");
    }

    #[test]
    fn the_csp_forbids_every_connection_and_allows_only_the_import_map_inline() {
        let csp = content_security_policy("preview://localhost", Some("{\"imports\":{}}"), None);
        assert!(csp.contains("connect-src 'none'"));
        assert!(csp.contains("script-src preview://localhost 'sha256-"));
        assert!(!csp.contains("unsafe-eval"));
        // A page with a simulated backend may connect to it, and only to it.
        let csp = content_security_policy(
            "preview://localhost",
            None,
            Some("preview://localhost/__bucketforge/api/alice/todo"),
        );
        assert!(
            csp.contains("connect-src preview://localhost/__bucketforge/api/alice/todo/;"),
            "{csp}"
        );
        assert!(csp.contains("form-action 'none'"), "{csp}");
    }

    #[test]
    fn vite_api_url_points_at_the_simulated_backend_when_there_is_one() {
        let mut s = site(&["frontend/src/api.js"]);
        s.api_base = Some("preview://localhost/__bucketforge/api/alice/todo".into());
        let out = s
            .compile_script(
                "frontend/src/api.js",
                "export const API = import.meta.env.VITE_API_URL;\n",
            )
            .unwrap();
        assert!(
            out.starts_with("import.meta.env = {")
                && out.contains(
                    r#""VITE_API_URL":"preview://localhost/__bucketforge/api/alice/todo""#
                ),
            "{out}"
        );
    }
}
