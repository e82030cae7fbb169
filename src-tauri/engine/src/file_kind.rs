//! The one table of file types a project may hold: for each extension, the parser that checks
//! it, the Content-Type it is stored with, how the preview serves it and the code view's
//! language. The UI reads the same table from `ui/src/bindings/fileKinds.ts`.

use serde::Serialize;
use ts_rs::TS;

/// The parser that checks a file before it is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    Python,
    /// JavaScript or TypeScript, with or without JSX.
    Script,
    /// `package.json`: JSON, and a manifest npm can read.
    PackageJson,
    Json,
    Css,
    Html,
    Toml,
    Yaml,
    /// `requirements*.txt`: lines pip can read.
    Requirements,
    Svg,
    /// Markdown, plain text and the like: any UTF-8 text is fine.
    Text,
}

/// How the preview serves a file that a module imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ModuleAs {
    /// A JS/TS module, compiled.
    Script,
    /// A stylesheet imported for its side effect: injected as a `<style>`.
    Style,
    /// A JSON file: `export default` its value.
    Json,
    /// Anything else (images, fonts): `export default` its URL.
    Url,
}

/// The language the code view highlights a file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Javascript,
    Jsx,
    Typescript,
    Tsx,
    Json,
    Css,
    Html,
    Markdown,
}

/// Everything BucketForge decides from a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FileKind {
    /// Lower case, without the dot.
    pub extension: &'static str,
    pub validator: Validator,
    /// The stored Content-Type, before `; charset=utf-8` (every project file is text).
    pub content_type: &'static str,
    /// How the preview serves the file when a module imports it.
    pub preview: ModuleAs,
    /// `None`: the code view shows plain text.
    pub language: Option<Language>,
}

const fn kind(
    extension: &'static str,
    validator: Validator,
    content_type: &'static str,
    preview: ModuleAs,
    language: Option<Language>,
) -> FileKind {
    FileKind {
        extension,
        validator,
        content_type,
        preview,
        language,
    }
}

use Language as L;
use ModuleAs as M;
use Validator as V;

/// Every extension a generated web project may contain; any other is refused as a path.
pub const FILE_KINDS: &[FileKind] = &[
    kind("py", V::Python, "text/x-python", M::Url, Some(L::Python)),
    kind("pyi", V::Python, "text/x-python", M::Url, Some(L::Python)),
    kind(
        "js",
        V::Script,
        "text/javascript",
        M::Script,
        Some(L::Javascript),
    ),
    kind(
        "mjs",
        V::Script,
        "text/javascript",
        M::Script,
        Some(L::Javascript),
    ),
    kind(
        "cjs",
        V::Script,
        "text/javascript",
        M::Script,
        Some(L::Javascript),
    ),
    kind("jsx", V::Script, "text/jsx", M::Script, Some(L::Jsx)),
    kind(
        "ts",
        V::Script,
        "text/typescript",
        M::Script,
        Some(L::Typescript),
    ),
    kind("tsx", V::Script, "text/tsx", M::Script, Some(L::Tsx)),
    kind("json", V::Json, "application/json", M::Json, Some(L::Json)),
    kind("css", V::Css, "text/css", M::Style, Some(L::Css)),
    kind("scss", V::Text, "text/x-scss", M::Url, Some(L::Css)),
    kind("html", V::Html, "text/html", M::Url, Some(L::Html)),
    kind("htm", V::Html, "text/html", M::Url, Some(L::Html)),
    kind("md", V::Text, "text/markdown", M::Url, Some(L::Markdown)),
    kind("txt", V::Text, "text/plain", M::Url, None),
    kind("toml", V::Toml, "application/toml", M::Url, None),
    kind("yaml", V::Yaml, "application/yaml", M::Url, None),
    kind("yml", V::Yaml, "application/yaml", M::Url, None),
    kind("svg", V::Svg, "image/svg+xml", M::Url, Some(L::Html)),
    kind("ini", V::Text, "text/plain", M::Url, None),
    kind("cfg", V::Text, "text/plain", M::Url, None),
    kind("sql", V::Text, "application/sql", M::Url, None),
    kind("csv", V::Text, "text/csv", M::Url, None),
    kind("sh", V::Text, "text/x-shellscript", M::Url, None),
    kind("lock", V::Text, "text/plain", M::Url, None),
    kind("example", V::Text, "text/plain", M::Url, None),
    kind("sample", V::Text, "text/plain", M::Url, None),
];

/// The extension of the file at `path` (or with this name), without the dot, as written.
/// A leading dot alone (`.gitignore`) is not an extension.
pub(crate) fn extension_of(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => Some(extension),
        _ => None,
    }
}

/// Files without a listed extension (`Dockerfile`, `.gitignore`): plain text.
const PLAIN: FileKind = kind("", V::Text, "text/plain", M::Url, None);

impl FileKind {
    /// The row for an extension (any case, without the dot), if a project may hold such files.
    pub fn for_extension(extension: &str) -> Option<&'static FileKind> {
        FILE_KINDS
            .iter()
            .find(|k| k.extension.eq_ignore_ascii_case(extension))
    }

    /// The kind of the file at `path` (or with this name), from its extension; plain text when
    /// it has none the table knows. A leading dot alone (`.gitignore`) is not an extension.
    pub fn of(path: &str) -> &'static FileKind {
        extension_of(path)
            .and_then(Self::for_extension)
            .unwrap_or(&PLAIN)
    }

    /// The parser for the file at `path`: a few names have their own (`package.json`,
    /// `requirements*.txt`), every other file the one its extension calls for.
    pub fn validator_of(path: &str) -> Validator {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name == "package.json" {
            return Validator::PackageJson;
        }
        if name.starts_with("requirements") && name.ends_with(".txt") {
            return Validator::Requirements;
        }
        Self::of(path).validator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_has_one_lower_case_row() {
        let mut seen = std::collections::HashSet::new();
        for kind in FILE_KINDS {
            assert_eq!(kind.extension, kind.extension.to_ascii_lowercase());
            assert!(!kind.extension.contains('.'), "{}", kind.extension);
            assert!(seen.insert(kind.extension), "{} twice", kind.extension);
        }
    }

    #[test]
    fn a_file_is_known_by_its_extension_in_any_case() {
        assert_eq!(FileKind::of("frontend/src/App.JSX").extension, "jsx");
        assert_eq!(
            FileKind::of("frontend/src/App.JSX").preview,
            ModuleAs::Script
        );
        assert_eq!(FileKind::of("styles/site.css").preview, ModuleAs::Style);
        assert_eq!(FileKind::of("logo.svg").language, Some(Language::Html));
        assert_eq!(FileKind::of("README.md").validator, Validator::Text);
    }

    #[test]
    fn names_without_a_known_extension_are_plain_text() {
        for name in [
            "Dockerfile",
            ".gitignore",
            "frontend/.env",
            "archive.zip",
            "Makefile",
        ] {
            let kind = FileKind::of(name);
            assert_eq!(kind.content_type, "text/plain", "{name}");
            assert_eq!(kind.validator, Validator::Text, "{name}");
            assert_eq!(kind.preview, ModuleAs::Url, "{name}");
            assert_eq!(kind.language, None, "{name}");
        }
        assert!(FileKind::for_extension("zip").is_none());
    }

    #[test]
    fn package_and_requirements_files_get_their_own_parsers() {
        assert_eq!(
            FileKind::validator_of("frontend/package.json"),
            Validator::PackageJson
        );
        assert_eq!(FileKind::validator_of("tsconfig.json"), Validator::Json);
        assert_eq!(
            FileKind::validator_of("backend/requirements-dev.txt"),
            Validator::Requirements
        );
        assert_eq!(FileKind::validator_of("notes.txt"), Validator::Text);
    }

    #[test]
    fn every_script_extension_is_compiled_by_the_preview_and_highlighted_as_code() {
        for kind in FILE_KINDS
            .iter()
            .filter(|k| k.validator == Validator::Script)
        {
            assert_eq!(kind.preview, ModuleAs::Script, "{}", kind.extension);
            assert!(kind.content_type.starts_with("text/"), "{}", kind.extension);
            assert!(
                matches!(
                    kind.language,
                    Some(L::Javascript | L::Jsx | L::Typescript | L::Tsx)
                ),
                "{}",
                kind.extension
            );
        }
    }

    /// Writes the table for the UI beside ts-rs's bindings, as `cargo test` does for types.
    #[test]
    fn export_the_table_to_typescript() {
        let json = serde_json::to_string_pretty(FILE_KINDS).unwrap();
        let text = format!(
            "// Generated from the engine's file_kind.rs by `cargo test`; do not edit.\n\
             import type {{ FileKind }} from \"./FileKind\";\n\n\
             export const FILE_KINDS: readonly FileKind[] = {json};\n"
        );
        crate::bindings::write("fileKinds.ts", &text);
    }
}
