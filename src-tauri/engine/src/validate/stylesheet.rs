//! CSS, parsed by lightningcss (the parser behind Parcel and Vite's CSS pipeline).

use lightningcss::stylesheet::{ParserFlags, ParserOptions, StyleSheet};

use super::problem::Problem;

pub(super) fn check(source: &str) -> Result<(), Problem> {
    let options = ParserOptions {
        // Nesting is what generated CSS (and Tailwind's `@apply` blocks) commonly uses.
        flags: ParserFlags::NESTING,
        ..ParserOptions::default()
    };
    match StyleSheet::parse(source, options) {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.kind.to_string();
            Err(match e.loc {
                Some(loc) => Problem::at_line(message, loc.line + 1, Some(loc.column)),
                None => Problem::new(message),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_modern_css() {
        let css = ":root { --accent: #4338ca; }\n@media (prefers-color-scheme: dark) { body { background: #111; } }\n.card { padding: 1rem; &:hover { color: var(--accent); } }\n@tailwind base;\n.btn { @apply px-4 py-2; }\n";
        assert_eq!(check(css), Ok(()));
    }

    #[test]
    fn reports_an_unclosed_block_or_a_stray_brace() {
        for (css, line) in [
            ("a { color: red; }\n}\n", 3),
            ("a {\n  color: red;\n  b { x: ; }\n  :: {}\n}\n", 4),
        ] {
            let p = check(css).unwrap_err();
            assert_eq!(p.line, Some(line), "{css:?}: {p}");
        }
        let p = check(".a { color: red; }\n.b { color: }\n}\n").unwrap_err();
        assert!(p.line.is_some(), "{p}");
    }
}
