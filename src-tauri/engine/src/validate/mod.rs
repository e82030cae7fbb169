//! In-memory validation of every generated file with a real parser for its type.

mod data;
mod html;
mod manifests;
mod python;
pub(crate) mod script;
mod stylesheet;

use std::fmt;

use crate::store::ProjectPath;

/// What a parser found wrong: its own message and, when it knows, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// 1-based.
    pub line: Option<u32>,
    /// 1-based, in characters.
    pub column: Option<u32>,
}

impl Problem {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// A problem at a byte offset of `source`.
    pub(crate) fn at_offset(message: impl Into<String>, source: &str, offset: usize) -> Self {
        let (line, column) = line_and_column(source, offset);
        Self {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }

    pub(crate) fn at_line(message: impl Into<String>, line: u32, column: Option<u32>) -> Self {
        Self {
            message: message.into(),
            line: Some(line),
            column,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
fn line_and_column(source: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u32, column as u32)
}

/// Which parser checks a file, decided by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Python,
    /// JavaScript or TypeScript, with or without JSX.
    Script,
    PackageJson,
    Json,
    Css,
    Html,
    Toml,
    Yaml,
    Requirements,
    Svg,
    /// Markdown, plain text and the like: any UTF-8 text is fine.
    Text,
}

impl FileKind {
    pub fn of(path: &ProjectPath) -> Self {
        let name = path.as_str().rsplit('/').next().unwrap_or_default();
        if name == "package.json" {
            return FileKind::PackageJson;
        }
        if name.starts_with("requirements") && name.ends_with(".txt") {
            return FileKind::Requirements;
        }
        match path.extension().as_deref() {
            Some("py" | "pyi") => FileKind::Python,
            Some("js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx") => FileKind::Script,
            Some("json") => FileKind::Json,
            Some("css") => FileKind::Css,
            Some("html" | "htm") => FileKind::Html,
            Some("toml") => FileKind::Toml,
            Some("yaml" | "yml") => FileKind::Yaml,
            Some("svg") => FileKind::Svg,
            _ => FileKind::Text,
        }
    }
}

/// Checks one file's content; `Err` carries the parser's first complaint.
pub fn validate(path: &ProjectPath, content: &str) -> Result<(), Problem> {
    if content.trim().is_empty() {
        return Err(Problem::new("the file is empty"));
    }
    match FileKind::of(path) {
        FileKind::Python => python::check(content),
        FileKind::Script => script::check(path.as_str(), content),
        FileKind::PackageJson => manifests::check_package_json(content),
        FileKind::Json => data::check_json(content),
        FileKind::Css => stylesheet::check(content),
        FileKind::Html => html::check(content),
        FileKind::Toml => data::check_toml(content),
        FileKind::Yaml => data::check_yaml(content),
        FileKind::Requirements => manifests::check_requirements(content),
        FileKind::Svg => data::check_svg(content),
        FileKind::Text => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, content: &str) -> Result<(), Problem> {
        validate(&ProjectPath::new(path).unwrap(), content)
    }

    #[test]
    fn picks_the_parser_by_file_name() {
        let kind = |p: &str| FileKind::of(&ProjectPath::new(p).unwrap());
        assert_eq!(kind("backend/main.py"), FileKind::Python);
        assert_eq!(kind("frontend/src/App.tsx"), FileKind::Script);
        assert_eq!(kind("frontend/package.json"), FileKind::PackageJson);
        assert_eq!(kind("backend/requirements.txt"), FileKind::Requirements);
        assert_eq!(kind("backend/requirements-dev.txt"), FileKind::Requirements);
        assert_eq!(kind("notes.txt"), FileKind::Text);
        assert_eq!(kind("tsconfig.json"), FileKind::Json);
        assert_eq!(kind("README.md"), FileKind::Text);
    }

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        assert_eq!(line_and_column("abc", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_and_column("ab\ncd", 99), (2, 3));
        // An offset inside a multi-byte character still lands on that character.
        assert_eq!(line_and_column("é", 1), (1, 1));
    }

    #[test]
    fn empty_files_are_refused_whatever_their_type() {
        for path in ["a.py", "a.md", "a.json", "a.css"] {
            assert_eq!(
                check(path, " \n\t").unwrap_err().message,
                "the file is empty"
            );
        }
    }

    #[test]
    fn problems_read_as_line_column_message() {
        let p = Problem::at_line("unexpected indent", 3, Some(5));
        assert_eq!(p.to_string(), "line 3, column 5: unexpected indent");
    }
}
