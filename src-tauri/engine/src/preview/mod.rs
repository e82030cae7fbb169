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

/// Bare imports the preview can satisfy, and the vendored file each maps to. The files are built
/// from npm by `ui/vite.preview-vendor.config.ts`; [`PREVIEW_PACKAGES`] names their versions.
pub const VENDORED_MODULES: &[(&str, &str)] = &[
    ("react", "react.js"),
    ("react/jsx-runtime", "react-jsx-runtime.js"),
    ("react/jsx-dev-runtime", "react-jsx-runtime.js"),
    ("react-dom", "react-dom.js"),
    ("react-dom/client", "react-dom-client.js"),
    ("react-router-dom", "react-router-dom.js"),
    ("react-router", "react-router-dom.js"),
    ("lucide-react", "lucide-react.js"),
    ("clsx", "clsx.js"),
    ("date-fns", "date-fns.js"),
    ("uuid", "uuid.js"),
    ("zustand", "zustand.js"),
    ("zustand/middleware", "zustand-middleware.js"),
];

/// The npm packages the preview runs, with the version range a generated package.json declares:
/// the major version vendored (a test holds these to `ui/package.json`).
pub const PREVIEW_PACKAGES: &[(&str, &str)] = &[
    ("react", "^19"),
    ("react-dom", "^19"),
    ("react-router-dom", "^7"),
    ("lucide-react", "^1"),
    ("clsx", "^2"),
    ("date-fns", "^4"),
    ("uuid", "^14"),
    ("zustand", "^5"),
];

/// What the checks that need no model hold a project to: the React the preview runs.
pub fn standards() -> bucketforge_check::quality::Standards {
    let react = PREVIEW_PACKAGES
        .iter()
        .find(|(name, _)| *name == "react")
        .map_or("^19", |(_, range)| range);
    bucketforge_check::quality::Standards {
        react_major: react.trim_start_matches('^').parse().unwrap_or(19),
    }
}

/// The npm packages the preview can run: what the prompts allow a frontend to import.
pub fn preview_packages() -> Vec<&'static str> {
    PREVIEW_PACKAGES.iter().map(|(name, _)| *name).collect()
}

/// The package a bare import names: `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`.
pub fn package_of(spec: &str) -> &str {
    let mut slashes = spec.match_indices('/').map(|(at, _)| at);
    let end = if spec.starts_with('@') {
        slashes.nth(1)
    } else {
        slashes.next()
    };
    &spec[..end.unwrap_or(spec.len())]
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
    /// A package, or a part of one, the preview does not have: the import as written.
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
        Resolved::UnknownPackage(spec.to_string())
    }

    /// The URL an import of `spec` from `from` is rewritten to. An import the preview can't
    /// satisfy goes to a module that throws what is wrong, and exports `names` (what `from`
    /// imports from it), so the page links and the message is what the overlay shows.
    fn import_url(&self, from: &str, spec: &str, names: &[String]) -> String {
        match self.resolve(from, spec) {
            Resolved::File { path, module_as } => {
                format!("{}{}", self.url_of(&path), module_as.query())
            }
            Resolved::Vendored(name) => name,
            Resolved::UnknownPackage(spec) => {
                error_module_url(&unknown_package_message(from, &spec), names)
            }
            Resolved::MissingFile(spec) => error_module_url(
                &format!("{from} imports “{spec}”, but no such file is in the project."),
                names,
            ),
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
            let names = imported_names(&parsed.module_record, spec.as_str());
            let url = self.import_url(path, spec.as_str(), &names);
            for request in requests {
                edits.push((request.span.start, request.span.end, quote(&url)));
            }
        }
        for dynamic in &parsed.module_record.dynamic_imports {
            let text =
                &js[dynamic.module_request.start as usize..dynamic.module_request.end as usize];
            // Only literal specifiers can be resolved ahead of time.
            if let Ok(spec) = serde_json::from_str::<String>(&text.replace('\'', "\"")) {
                // `import()` gives the namespace: no names to stand in for.
                let url = self.import_url(path, &spec, &[]);
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
                        error_module_url("The project has neither an index.html nor a src/main file to start from.", &[])
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

/// What the overlay says when a file imports a package, or a part of one, the preview lacks.
fn unknown_package_message(from: &str, spec: &str) -> String {
    let package = package_of(spec);
    let packages = preview_packages().join(", ");
    if preview_packages().contains(&package) {
        format!(
            "{from} imports “{spec}”, a part of {package} the preview doesn't include. \
             Import from “{package}” itself, or run the project with npm to use it."
        )
    } else {
        format!(
            "{from} imports the package “{package}”, which the preview can't load. \
             The preview includes {packages}; run the project with npm to use other packages."
        )
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
pub fn error_module_url(message: &str, names: &[String]) -> String {
    let url = format!(
        "{INTERNAL_PREFIX}error.js?message={}",
        percent_encode(message)
    );
    if names.is_empty() {
        url
    } else {
        format!("{url}&names={}", percent_encode(&names.join(",")))
    }
}

/// Every byte outside URL's unreserved set as `%XX`.
fn percent_encode(text: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The module behind [`error_module_url`]: it throws `message` when it runs, and exports each
/// of `names` (as `undefined`) so that the modules importing them link first. Names that are not
/// plain identifiers are left out.
pub fn error_module(message: &str, names: &[&str]) -> String {
    let exported: Vec<String> = names
        .iter()
        .filter(|n| is_identifier(n))
        .map(|n| format!("missing as {n}"))
        .collect();
    let mut module = format!("throw new Error({});\n", quote(message));
    if !exported.is_empty() {
        module.push_str(&format!(
            "const missing = undefined;\nexport {{ {} }};\n",
            exported.join(", ")
        ));
    }
    module
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// What a module imports by name from `spec`, re-exports included: `default` for a default
/// import; nothing for `import * as`.
fn imported_names(record: &oxc::syntax::module_record::ModuleRecord, spec: &str) -> Vec<String> {
    use oxc::syntax::module_record::{ExportImportName, ImportImportName};
    let mut names = BTreeSet::new();
    for entry in &record.import_entries {
        if entry.module_request.name.as_str() == spec {
            match &entry.import_name {
                ImportImportName::Name(name) => {
                    names.insert(name.name.to_string());
                }
                ImportImportName::Default(_) => {
                    names.insert("default".to_string());
                }
                ImportImportName::NamespaceObject => {}
            }
        }
    }
    for entry in &record.indirect_export_entries {
        let from_spec = entry
            .module_request
            .as_ref()
            .is_some_and(|request| request.name.as_str() == spec);
        if let (true, ExportImportName::Name(name)) = (from_spec, &entry.import_name) {
            names.insert(name.name.to_string());
        }
    }
    names.into_iter().collect()
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
    fn bare_imports_resolve_to_the_vendored_packages_and_name_what_is_missing() {
        let s = site(&["frontend/src/App.jsx"]);
        for spec in [
            "react-router-dom",
            "react-router",
            "lucide-react",
            "clsx",
            "date-fns",
            "uuid",
            "zustand",
            "zustand/middleware",
        ] {
            assert_eq!(
                s.resolve("frontend/src/App.jsx", spec),
                Resolved::Vendored(spec.into())
            );
        }
        assert_eq!(
            package_of("@tanstack/react-query/devtools"),
            "@tanstack/react-query"
        );
        assert_eq!(package_of("date-fns/locale"), "date-fns");
        assert_eq!(package_of("axios"), "axios");
        let axios = unknown_package_message("src/api.js", "axios");
        assert!(
            axios.starts_with(
                "src/api.js imports the package “axios”, which the preview can't load."
            ),
            "{axios}"
        );
        assert!(axios.contains("react-router-dom, lucide-react"), "{axios}");
        let locale = unknown_package_message("src/App.jsx", "date-fns/locale");
        assert!(
            locale.contains("“date-fns/locale”, a part of date-fns the preview doesn't include"),
            "{locale}"
        );
    }

    /// The versions the prompts pin are the ones vendored, and every vendored file is built.
    #[test]
    fn the_pinned_versions_are_the_vendored_ones() {
        let ui = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{ui}package.json")).unwrap())
                .unwrap();
        for (name, range) in PREVIEW_PACKAGES {
            let declared = manifest["dependencies"][name]
                .as_str()
                .or(manifest["devDependencies"][name].as_str())
                .unwrap_or_else(|| panic!("ui/package.json doesn't declare {name}"));
            assert!(
                declared == *range || declared.starts_with(&format!("{range}.")),
                "{name}: the prompts pin {range}, the preview vendors {declared}"
            );
        }
        let config = std::fs::read_to_string(format!("{ui}vite.preview-vendor.config.ts")).unwrap();
        for (module, file) in VENDORED_MODULES {
            // A module of a listed package, or another name for one (react-router).
            let listed = |m: &str| preview_packages().contains(&package_of(m));
            assert!(
                listed(module) || VENDORED_MODULES.iter().any(|(m, f)| f == file && listed(m)),
                "{module} is not one of the preview's packages"
            );
            let stem = file.trim_end_matches(".js");
            assert!(
                config.contains(&format!("\"{stem}\": {{"))
                    || config.contains(&format!("  {stem}: {{")),
                "{file} is not built by vite.preview-vendor.config.ts"
            );
        }
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
        assert_eq!(
            error_module("it's “x”", &[]),
            "throw new Error(\"it's “x”\");\n"
        );
    }

    /// A page whose module imports a missing package must still link, or the browser reports
    /// "cannot resolve binding 'default'" instead of what is missing.
    #[test]
    fn an_error_module_exports_what_its_importer_asks_for() {
        let s = site(&["src/App.jsx"]);
        let out = s
            .compile_script(
                "src/App.jsx",
                "import axios, { get as fetchIt } from 'axios';\nimport * as all from 'left-pad';\nexport { post } from 'axios';\nexport default () => [axios, fetchIt, all];\n",
            )
            .unwrap();
        let names = ["default".to_string(), "get".into(), "post".into()];
        let axios_url = error_module_url(&unknown_package_message("src/App.jsx", "axios"), &names);
        assert!(out.contains(&axios_url), "{out}");
        let pad = error_module_url(&unknown_package_message("src/App.jsx", "left-pad"), &[]);
        assert!(out.contains(&pad), "{out}");
        assert_eq!(
            error_module("gone", &["default", "get", "not-a-name"]),
            "throw new Error(\"gone\");\nconst missing = undefined;\nexport { missing as default, missing as get };\n"
        );
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
