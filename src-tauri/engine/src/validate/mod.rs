//! In-memory validation of every generated file with a real parser for its type.

mod data;
mod html;
mod manifests;
mod problem;
mod python;
pub(crate) mod script;
mod stylesheet;

use crate::file_kind::{FileKind, Validator};
use crate::store::keys::ProjectPath;

pub use problem::Problem;

/// Checks one file's content; `Err` carries the parser's first complaint. The parsers run on a
/// deep stack: no answer, however deeply nested, can overflow it.
pub fn validate(path: &ProjectPath, content: &str) -> Result<(), Problem> {
    if content.trim().is_empty() {
        return Err(Problem::new("the file is empty"));
    }
    crate::sync::on_deep_stack(|| parse(path, content))
}

fn parse(path: &ProjectPath, content: &str) -> Result<(), Problem> {
    match FileKind::validator_of(path.as_str()) {
        Validator::Python => python::check(content),
        Validator::Script => script::check(path.as_str(), content),
        Validator::PackageJson => manifests::check_package_json(content),
        Validator::Json => data::check_json(content),
        Validator::Css => stylesheet::check(content),
        Validator::Html => html::check(content),
        Validator::Toml => data::check_toml(content),
        Validator::Yaml => data::check_yaml(content),
        Validator::Requirements => manifests::check_requirements(content),
        Validator::Svg => data::check_svg(content),
        Validator::Text => Ok(()),
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
        let kind = |p: &str| FileKind::validator_of(ProjectPath::new(p).unwrap().as_str());
        assert_eq!(kind("backend/main.py"), Validator::Python);
        assert_eq!(kind("frontend/src/App.tsx"), Validator::Script);
        assert_eq!(kind("frontend/package.json"), Validator::PackageJson);
        assert_eq!(kind("backend/requirements.txt"), Validator::Requirements);
        assert_eq!(
            kind("backend/requirements-dev.txt"),
            Validator::Requirements
        );
        assert_eq!(kind("notes.txt"), Validator::Text);
        assert_eq!(kind("tsconfig.json"), Validator::Json);
        assert_eq!(kind("README.md"), Validator::Text);
    }

    #[test]
    fn nesting_thousands_of_levels_deep_is_a_verdict_not_a_crash() {
        // Each of these overflows a 2 MB thread stack in the parser (or in dropping its tree).
        let deep = [
            ("a.js", format!("x = {}1;\n", "- ".repeat(100_000))),
            ("a.py", format!("x = {}1\n", "-".repeat(100_000))),
            ("a.py", format!("{}1\n", "a = ".repeat(20_000))),
            (
                "a.jsx",
                format!("x = {}1{};\n", "(".repeat(50_000), ")".repeat(50_000)),
            ),
            (
                "a.json",
                format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)),
            ),
        ];
        for (path, content) in &deep {
            // Either answer is fine; returning at all is the point.
            let _ = check(path, content);
        }
        // And the verdict is the parser's: deep but valid code passes.
        assert!(check("a.js", &format!("x = {}1;\n", "- ".repeat(100_000))).is_ok());
        assert!(check("a.py", &format!("x = {}1\n", "-".repeat(100_000))).is_ok());
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
}
