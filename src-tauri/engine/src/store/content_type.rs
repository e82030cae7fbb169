//! The Content-Type every stored object carries, chosen from its file name.

use super::keys::ProjectPath;
use crate::file_kind::FileKind;

/// The Content-Type for a project file, from the file-type table: a precise type for what web
/// tools recognise, plain text otherwise. Every file a project may hold is text, so every type
/// names utf-8.
pub fn content_type_for(path: &ProjectPath) -> String {
    format!(
        "{}; charset=utf-8",
        FileKind::of(path.as_str()).content_type
    )
}

/// The manifest is JSON too, but it is ours; keep its type in one place.
pub const MANIFEST_CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str) -> String {
        content_type_for(&ProjectPath::new(path).unwrap())
    }

    #[test]
    fn source_files_get_their_web_types_with_utf8() {
        assert_eq!(of("backend/main.py"), "text/x-python; charset=utf-8");
        assert_eq!(of("src/main.js"), "text/javascript; charset=utf-8");
        assert_eq!(of("src/App.JSX"), "text/jsx; charset=utf-8");
        assert_eq!(of("package.json"), "application/json; charset=utf-8");
        assert_eq!(of("index.html"), "text/html; charset=utf-8");
        assert_eq!(of("styles/app.css"), "text/css; charset=utf-8");
        assert_eq!(of("logo.svg"), "image/svg+xml; charset=utf-8");
    }

    #[test]
    fn files_without_a_known_type_are_plain_text() {
        assert_eq!(of("Dockerfile"), "text/plain; charset=utf-8");
        assert_eq!(of(".gitignore"), "text/plain; charset=utf-8");
        assert_eq!(of("backend/requirements.txt"), "text/plain; charset=utf-8");
        assert_eq!(of("frontend/.env.example"), "text/plain; charset=utf-8");
    }
}
