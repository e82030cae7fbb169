//! JavaScript and TypeScript (with JSX), parsed by oxc, plus its semantic syntax checks.

use oxc::allocator::Allocator;
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;

use super::problem::Problem;

/// How oxc reads a file, by its name: the cross-file check's rule.
pub(crate) use bucketforge_check::source_type_for;

pub(super) fn check(path: &str, source: &str) -> Result<(), Problem> {
    let source_type = source_type_for(path);
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(first) = parsed.diagnostics.errors().next() {
        return Err(problem(first, source));
    }
    let semantic = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .build(&parsed.program);
    if let Some(first) = semantic.diagnostics.errors().next() {
        return Err(problem(first, source));
    }
    Ok(())
}

pub(crate) fn problem(diagnostic: &OxcDiagnostic, source: &str) -> Problem {
    let mut message = diagnostic.message.to_string();
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!(" ({help})"));
    }
    // Several labels (e.g. both declarations of a redeclared name): the primary one is the
    // place to fix.
    let labels = &diagnostic.labels;
    match labels.iter().find(|l| l.primary()).or(labels.last()) {
        Some(label) => Problem::at_offset(message, source, label.offset() as usize),
        None => Problem::new(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_react_components_in_every_flavour() {
        let jsx = "import { useState } from 'react';\nexport default function App() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>{n}</button>;\n}\n";
        assert_eq!(check("src/App.jsx", jsx), Ok(()));
        assert_eq!(check("src/App.js", jsx), Ok(()));
        let tsx = "type Props = { title: string };\nexport function Card({ title }: Props) {\n  return <h2>{title}</h2>;\n}\n";
        assert_eq!(check("src/Card.tsx", tsx), Ok(()));
        let ts = "export interface Todo { id: number; title: string }\nexport const base: string = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n";
        assert_eq!(check("src/api.ts", ts), Ok(()));
        assert_eq!(
            check("vite.config.cjs", "module.exports = { plugins: [] };\n"),
            Ok(())
        );
    }

    #[test]
    fn reports_a_parse_error_with_line_and_column() {
        let broken = "export default function App() {\n  return <div>\n    <p>hi</p>\n}\n";
        let p = check("src/App.jsx", broken).unwrap_err();
        assert!(p.line.is_some(), "{p}");
        assert!(
            p.message.to_lowercase().contains("expected") || p.message.contains("JSX"),
            "{p}"
        );
    }

    #[test]
    fn type_annotations_are_refused_in_plain_javascript() {
        assert!(check("src/a.js", "let x: number = 1;\n").is_err());
        assert_eq!(check("src/a.ts", "let x: number = 1;\n"), Ok(()));
    }

    #[test]
    fn semantic_errors_count_too() {
        let p = check("src/a.js", "const a = 1;\nconst a = 2;\n").unwrap_err();
        assert_eq!(p.line, Some(2), "{p}");
    }
}
