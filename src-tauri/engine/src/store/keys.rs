//! The S3 key layout: `projects/{user_id}/{slug}/{path}`, built only from validated parts.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// Every project lives under this prefix in the bucket.
pub const PROJECTS_PREFIX: &str = "projects/";
/// The folder inside a project that holds BucketForge's own records.
pub const META_DIR: &str = ".bucketforge";
/// The run manifest, written last.
pub const MANIFEST_PATH: &str = ".bucketforge/manifest.json";

/// S3 refuses keys longer than this many bytes.
pub const MAX_KEY_BYTES: usize = 1024;
const MAX_NAME_LEN: usize = 63;
/// The longest prefix a project can have: `projects/` + user + `/` + slug + `/`.
const MAX_PREFIX_BYTES: usize = PROJECTS_PREFIX.len() + MAX_NAME_LEN + 1 + MAX_NAME_LEN + 1;
/// A path this long or shorter fits under any project's prefix within S3's key limit.
pub const MAX_PATH_BYTES: usize = MAX_KEY_BYTES - MAX_PREFIX_BYTES;

/// File extensions a generated web project may contain.
const ALLOWED_EXTENSIONS: &[&str] = &[
    "py", "pyi", "js", "jsx", "mjs", "cjs", "ts", "tsx", "json", "css", "scss", "html", "htm",
    "md", "txt", "toml", "yaml", "yml", "svg", "ini", "cfg", "sql", "csv", "sh", "lock", "example",
    "sample",
];
/// Files without an extension (or dotfiles) that web projects commonly carry.
const ALLOWED_BARE_NAMES: &[&str] = &[
    "Dockerfile",
    "Makefile",
    "Procfile",
    "LICENSE",
    ".gitignore",
    ".dockerignore",
    ".env.example",
    ".editorconfig",
    ".nvmrc",
    ".python-version",
    ".prettierrc",
    ".eslintrc",
    ".npmrc",
];
/// Characters Windows forbids in file names; refusing them keeps exports portable.
const NON_PORTABLE: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Checks a user ID or slug against `[a-z0-9][a-z0-9-]{0,62}`.
fn check_name(what: &'static str, value: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidName {
            what,
            value: value.to_string(),
            reason,
        })
    };
    let Some(first) = value.bytes().next() else {
        return invalid("it is empty");
    };
    if value.len() > MAX_NAME_LEN {
        return invalid("it is longer than 63 characters");
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return invalid("it must start with a lowercase letter or a digit");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return invalid("only lowercase letters, digits and “-” are allowed");
    }
    Ok(())
}

/// Turns any display name into a slug: "My Todo App!" → `my-todo-app`.
///
/// Accents are folded to their base letter; anything else that is not a letter or a digit
/// becomes a single `-`. Fails only when nothing usable is left.
pub fn slugify(name: &str) -> Result<Slug> {
    let mut out = String::with_capacity(name.len().min(MAX_NAME_LEN));
    let mut pending_dash = false;
    for c in name.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
            if out.len() >= MAX_NAME_LEN {
                break;
            }
        } else {
            pending_dash = true;
        }
    }
    while out.len() > MAX_NAME_LEN || out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        return Err(Error::InvalidName {
            what: "project name",
            value: name.to_string(),
            reason: "it has no letters or digits (A–Z, 0–9) to build a short name from",
        });
    }
    Slug::new(&out)
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ts_rs::TS)]
        #[serde(transparent)]
        #[ts(export)]
        pub struct $ty(String);

        impl $ty {
            pub fn new(value: &str) -> Result<Self> {
                check_name($what, value)?;
                Ok(Self(value.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// Whose projects these are: the second segment of every key.
    UserId,
    "user ID"
);
name_type!(
    /// A project's short name: the third segment of every key.
    Slug,
    "project short name"
);

impl UserId {
    /// A user ID made from any name (e.g. the OS user name), as for a project.
    pub fn from_name(name: &str) -> Result<Self> {
        let slug = slugify(name).map_err(|_| Error::InvalidName {
            what: "user ID",
            value: name.to_string(),
            reason: "it has no letters or digits (A–Z, 0–9) to build an ID from",
        })?;
        Ok(Self(slug.0))
    }
}

/// A file's path inside a project, checked against every rule for untrusted paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(transparent)]
#[ts(export)]
pub struct ProjectPath(String);

impl ProjectPath {
    pub fn new(path: &str) -> Result<Self> {
        let reject = |reason: &str| {
            Err(Error::InvalidPath {
                path: path.to_string(),
                reason: reason.to_string(),
            })
        };
        if path.is_empty() {
            return reject("it is empty");
        }
        if path.starts_with('/') || path.starts_with('\\') {
            return reject("it must be relative, not start with “/” or “\\”");
        }
        if path.contains('\\') {
            return reject("it contains “\\”; folders are separated with “/”");
        }
        if path.chars().any(char::is_control) {
            return reject("it contains a control character");
        }
        if let Some(c) = path.chars().find(|c| NON_PORTABLE.contains(c)) {
            return reject(&format!(
                "it contains “{c}”, which is not allowed in file names on Windows"
            ));
        }
        if path.len() > MAX_PATH_BYTES {
            return reject(&format!(
                "it is longer than {MAX_PATH_BYTES} bytes, so its S3 key could exceed {MAX_KEY_BYTES} bytes"
            ));
        }
        for segment in path.split('/') {
            match segment {
                "" => return reject("it has an empty folder name (“//” or a trailing “/”)"),
                "." => return reject("it has a “.” folder"),
                ".." => return reject("it climbs out of the project with “..”"),
                s if s.trim() != s => {
                    return reject("a folder or file name starts or ends with a space")
                }
                _ => {}
            }
        }
        if path.split('/').next() == Some(META_DIR) {
            return reject("the “.bucketforge” folder is reserved for BucketForge's own records");
        }
        let file_name = path.rsplit('/').next().unwrap_or(path);
        if !Self::allowed_file_name(file_name) {
            return reject(
                "its file type is not one a web project uses (allowed: .py, .js, .jsx, .ts, .tsx, .json, .css, .html, .md, .txt, .toml, .yaml, …)",
            );
        }
        Ok(Self(path.to_string()))
    }

    fn allowed_file_name(name: &str) -> bool {
        if ALLOWED_BARE_NAMES.contains(&name) {
            return true;
        }
        match name.rsplit_once('.') {
            // A leading dot alone (".bashrc") is a dotfile, not an extension.
            Some((stem, ext)) if !stem.is_empty() => {
                ALLOWED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
            }
            _ => false,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case extension, if the name has one.
    pub fn extension(&self) -> Option<String> {
        let name = self.0.rsplit('/').next().unwrap_or(&self.0);
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => Some(ext.to_ascii_lowercase()),
            _ => None,
        }
    }
}

impl fmt::Display for ProjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProjectPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// One project's place in the bucket; the only way to build an object key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectKey {
    user: UserId,
    slug: Slug,
}

impl ProjectKey {
    pub fn new(user: UserId, slug: Slug) -> Self {
        Self { user, slug }
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub fn slug(&self) -> &Slug {
        &self.slug
    }

    /// `projects/{user}/`: where a user's projects are listed.
    pub fn user_prefix(user: &UserId) -> String {
        format!("{PROJECTS_PREFIX}{user}/")
    }

    /// `projects/{user}/{slug}/`: every key of this project starts with it.
    pub fn prefix(&self) -> String {
        format!("{PROJECTS_PREFIX}{}/{}/", self.user, self.slug)
    }

    /// The object key of one generated file.
    pub fn file(&self, path: &ProjectPath) -> String {
        format!("{}{}", self.prefix(), path)
    }

    /// The object key of the run manifest.
    pub fn manifest(&self) -> String {
        format!("{}{MANIFEST_PATH}", self.prefix())
    }

    /// The inverse of [`ProjectKey::file`]: the project path of a key under this prefix.
    pub fn path_of(&self, key: &str) -> Option<ProjectPath> {
        key.strip_prefix(&self.prefix())
            .and_then(|rest| ProjectPath::new(rest).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason_for(path: &str) -> String {
        match ProjectPath::new(path) {
            Err(Error::InvalidPath { reason, .. }) => reason,
            other => panic!("expected {path:?} to be rejected, got {other:?}"),
        }
    }

    #[test]
    fn slugifies_display_names() {
        assert_eq!(slugify("My Todo App!").unwrap().as_str(), "my-todo-app");
        assert_eq!(slugify("  Café  Crème ").unwrap().as_str(), "cafe-creme");
        assert_eq!(slugify("2048 -- game").unwrap().as_str(), "2048-game");
        assert_eq!(slugify("--a--").unwrap().as_str(), "a");
    }

    #[test]
    fn slugs_are_cut_to_63_characters_without_a_trailing_dash() {
        let long = format!("{} tail", "a".repeat(62));
        let slug = slugify(&long).unwrap();
        assert_eq!(slug.as_str(), "a".repeat(62));
        assert!(slugify(&"word ".repeat(40)).unwrap().as_str().len() <= 63);
    }

    #[test]
    fn refuses_names_with_nothing_to_slugify() {
        for name in ["", "!!!", "   ", "日本語"] {
            let err = slugify(name).unwrap_err();
            assert_eq!(err.code(), "invalid_name", "{name:?}");
            assert!(err.to_string().contains("no letters or digits"), "{err}");
        }
    }

    #[test]
    fn user_ids_follow_the_design_rule() {
        for ok in ["alice", "a", "0", "bob-2", &"x".repeat(63)] {
            assert!(UserId::new(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "-alice",
            "Alice",
            "al ice",
            "al_ice",
            "ali/ce",
            &"x".repeat(64),
        ] {
            assert!(UserId::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(UserId::from_name("Jane Doe").unwrap().as_str(), "jane-doe");
    }

    #[test]
    fn accepts_ordinary_project_files() {
        for ok in [
            "backend/main.py",
            "frontend/src/App.jsx",
            "frontend/src/components/TodoList.tsx",
            "README.md",
            ".gitignore",
            "frontend/.env.example",
            "backend/requirements.txt",
            "Dockerfile",
            "frontend/vite.config.ts",
        ] {
            assert!(ProjectPath::new(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn rejects_paths_that_climb_out_of_the_project() {
        assert!(reason_for("../x.py").contains(".."));
        assert!(reason_for("a/../../x.py").contains(".."));
        assert!(reason_for("/etc/passwd.txt").contains("relative"));
        assert!(reason_for("\\evil.py").contains("relative"));
        assert!(reason_for("a\\b.py").contains("\\"));
    }

    #[test]
    fn each_rejection_names_the_rule_broken() {
        assert!(reason_for("").contains("empty"));
        assert!(reason_for("a//b.py").contains("empty folder"));
        assert!(reason_for("a/").contains("empty folder"));
        assert!(reason_for("./a.py").contains("“.”"));
        assert!(reason_for("a\0.py").contains("control"));
        assert!(reason_for("a\n.py").contains("control"));
        assert!(reason_for("a:b.py").contains("Windows"));
        assert!(reason_for("run.exe").contains("file type"));
        assert!(reason_for(".bashrc").contains("file type"));
        assert!(reason_for(".bucketforge/manifest.json").contains("reserved"));
        assert!(reason_for(" a.py").contains("space"));
        let long = format!("{}.py", "a".repeat(MAX_PATH_BYTES));
        assert!(reason_for(&long).contains("1024"));
        let err = ProjectPath::new("../x.py").unwrap_err();
        assert!(err.to_string().contains("../x.py"), "{err}");
    }

    #[test]
    fn builds_keys_under_the_project_prefix() {
        let key = ProjectKey::new(UserId::new("alice").unwrap(), Slug::new("todo").unwrap());
        let path = ProjectPath::new("frontend/src/App.jsx").unwrap();
        assert_eq!(key.file(&path), "projects/alice/todo/frontend/src/App.jsx");
        assert_eq!(
            key.manifest(),
            "projects/alice/todo/.bucketforge/manifest.json"
        );
        assert_eq!(key.path_of(&key.file(&path)), Some(path));
        assert_eq!(key.path_of("projects/alice/other/a.py"), None);
    }

    #[test]
    fn deserializing_applies_the_same_rules() {
        assert!(serde_json::from_str::<ProjectPath>("\"../x.py\"").is_err());
        assert!(serde_json::from_str::<UserId>("\"Bob\"").is_err());
        assert_eq!(
            serde_json::from_str::<Slug>("\"todo\"").unwrap().as_str(),
            "todo"
        );
    }

    proptest! {
        #[test]
        fn no_accepted_path_yields_a_key_outside_its_project(
            user in "[a-z0-9][a-z0-9-]{0,62}",
            slug in "[a-z0-9][a-z0-9-]{0,62}",
            path in r"[a-zA-Z0-9._/\\ :~%-]{1,40}(\.py|\.jsx|/\.\.|\.\.)?",
        ) {
            let key = ProjectKey::new(UserId::new(&user).unwrap(), Slug::new(&slug).unwrap());
            if let Ok(path) = ProjectPath::new(&path) {
                let full = key.file(&path);
                prop_assert!(full.starts_with(&key.prefix()));
                prop_assert!(full.len() <= MAX_KEY_BYTES);
                let rest = &full[key.prefix().len()..];
                prop_assert!(rest.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
                prop_assert!(!rest.contains('\\'));
            }
        }

        #[test]
        fn any_text_slugifies_to_a_valid_slug_or_a_clear_error(name in "\\PC{0,120}") {
            match slugify(&name) {
                Ok(slug) => prop_assert!(Slug::new(slug.as_str()).is_ok()),
                Err(e) => prop_assert_eq!(e.code(), "invalid_name"),
            }
        }
    }
}
