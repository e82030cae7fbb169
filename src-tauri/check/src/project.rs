//! The project as the check sees it: its files by path, its folders, and where each part lives.

use std::collections::{BTreeMap, HashSet};

use crate::{Layout, SourceFile};

/// Files bigger than this are not parsed: the generator writes nothing bigger (the engine's
/// own limit per file is the same), and a parser's time and stack grow with what it reads.
pub(crate) const MAX_PARSED_BYTES: usize = 256 * 1024;

/// Brackets nested deeper than this are not parsed either: generated code never nests so
/// deep, and recursive parsers would need a deep stack to read it.
const MAX_NESTING: usize = 200;

/// Every file by path, the folders they make, and the layout's roots.
pub(crate) struct Project<'a> {
    /// Where the frontend lives: `"frontend/"` or `""`.
    pub frontend: String,
    /// Where the backend lives, when there is one: `"backend/"`.
    pub backend: Option<String>,
    /// Every file, by path, in path order (so reports come out in the same order every time).
    pub files: BTreeMap<&'a str, &'a str>,
    /// Every folder holding a file, with its trailing slash: `frontend/`, `frontend/src/`.
    folders: HashSet<String>,
}

impl<'a> Project<'a> {
    pub fn new(layout: &Layout, files: &[SourceFile<'a>]) -> Project<'a> {
        let files: BTreeMap<&str, &str> = files.iter().map(|f| (f.path, f.text)).collect();
        let mut folders = HashSet::new();
        for path in files.keys() {
            let mut end = 0;
            while let Some(i) = path[end..].find('/') {
                end += i + 1;
                folders.insert(path[..end].to_string());
            }
        }
        Project {
            frontend: root(&layout.frontend_root),
            backend: layout.backend_root.as_deref().map(root),
            files,
            folders,
        }
    }

    /// Whether a file with exactly this path exists.
    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The text of a file.
    pub fn text(&self, path: &str) -> Option<&'a str> {
        self.files.get(path).copied()
    }

    /// Whether `folder` (with or without its trailing slash) holds any file.
    pub fn has_folder(&self, folder: &str) -> bool {
        if folder.is_empty() {
            return !self.files.is_empty();
        }
        if folder.ends_with('/') {
            self.folders.contains(folder)
        } else {
            self.folders.contains(&format!("{folder}/"))
        }
    }

    /// Whether a file belongs to the frontend: under its root, and not under the backend's.
    pub fn in_frontend(&self, path: &str) -> bool {
        path.starts_with(&self.frontend) && !self.in_backend(path)
    }

    /// Whether a file belongs to the backend.
    pub fn in_backend(&self, path: &str) -> bool {
        self.backend
            .as_deref()
            .is_some_and(|backend| path.starts_with(backend))
    }
}

/// A layout root as a folder prefix: "" or ending in exactly one `/`, no leading `./` or `/`.
fn root(folder: &str) -> String {
    let trimmed = folder
        .trim()
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// Longer runs of prefix operators (`- - - … 1`) are not parsed either: each is one more
/// level of nesting for the parser, in a single byte.
const MAX_OPERATOR_RUN: usize = 1000;

/// Whether a file is small and shallow enough to hand to a parser.
pub(crate) fn parseable(text: &str) -> bool {
    if text.len() > MAX_PARSED_BYTES {
        return false;
    }
    let mut depth = 0usize;
    let mut run = 0usize;
    for byte in text.bytes() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return false;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match byte {
            b'-' | b'+' | b'~' | b'!' => {
                run += 1;
                if run > MAX_OPERATOR_RUN {
                    return false;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => run = 0,
        }
    }
    true
}

/// Runs a parse-and-read step, turning a panic inside a parser into "skip this file".
pub(crate) fn guarded<T>(read: impl FnOnce() -> Option<T>) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_normalised_to_folder_prefixes() {
        assert_eq!(root("frontend/"), "frontend/");
        assert_eq!(root("frontend"), "frontend/");
        assert_eq!(root("./backend//"), "backend/");
        assert_eq!(root(""), "");
        assert_eq!(root("/"), "");
    }

    #[test]
    fn knows_files_and_folders() {
        let files = [
            SourceFile {
                path: "frontend/src/components/List.jsx",
                text: "",
            },
            SourceFile {
                path: "backend/main.py",
                text: "",
            },
        ];
        let layout = Layout {
            frontend_root: "frontend/".into(),
            backend_root: Some("backend/".into()),
        };
        let project = Project::new(&layout, &files);
        assert!(project.has_file("backend/main.py"));
        assert!(project.has_folder("frontend/src/components"));
        assert!(project.has_folder("frontend/src/"));
        assert!(!project.has_folder("frontend/src/comp"));
        assert!(project.in_frontend("frontend/src/components/List.jsx"));
        assert!(!project.in_frontend("backend/main.py"));
        assert!(project.in_backend("backend/main.py"));
    }

    #[test]
    fn deep_nesting_and_huge_files_are_not_parsed() {
        assert!(parseable("f(a[1], {b: 2})"));
        assert!(!parseable(&"(".repeat(MAX_NESTING + 1)));
        assert!(!parseable(&" ".repeat(MAX_PARSED_BYTES + 1)));
        assert!(!parseable(&format!(
            "x = {}1",
            "- ".repeat(MAX_OPERATOR_RUN + 1)
        )));
        assert!(parseable(&format!("# {}\nx = -1", "-".repeat(80))));
    }
}
