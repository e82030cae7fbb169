//! The S3 key layout: `projects/{user_id}/{slug}/{path}`, built only from validated parts.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::file_kind::{extension_of, FileKind};
use crate::{Error, Result};

/// Every project lives under this prefix in the bucket.
pub const PROJECTS_PREFIX: &str = "projects/";
/// The folder inside a project that holds BucketForge's own records.
pub const META_DIR: &str = ".bucketforge";
/// The run manifest, written last.
pub const MANIFEST_PATH: &str = ".bucketforge/manifest.json";

/// S3 refuses keys longer than this many bytes.
pub const MAX_KEY_BYTES: usize = 1024;
const MAX_NAME_LEN: usize = crate::limits::MAX_NAME_CHARS;
/// The longest prefix a project can have: `projects/` + user + `/` + slug + `/`.
const MAX_PREFIX_BYTES: usize = PROJECTS_PREFIX.len() + MAX_NAME_LEN + 1 + MAX_NAME_LEN + 1;
/// A path this long or shorter fits under any project's prefix within S3's key limit.
pub const MAX_PATH_BYTES: usize = MAX_KEY_BYTES - MAX_PREFIX_BYTES;

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

/// File systems refuse longer file or folder names (255 bytes on Linux, 255 UTF-16 units on
/// Windows and macOS, which a name of at most 255 UTF-8 bytes never exceeds).
const MAX_SEGMENT_BYTES: usize = 255;
/// Names Windows keeps for devices, with any extension and in any case (`con.txt`, `Aux.jsx`).
const WINDOWS_DEVICE_NAMES: &[&str] = &["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
/// Numbered devices: `COM0`–`COM9` and `LPT0`–`LPT9`, superscript digits included, as
/// Microsoft's naming rules list them.
const WINDOWS_NUMBERED_DEVICES: &[&str] = &["COM", "LPT"];
const WINDOWS_DEVICE_DIGITS: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '¹', '²', '³',
];

/// Invisible characters that reorder the text around them: `App\u{202E}gpj.js` displays as
/// `Appsj.jpg`, so a name can pass for another. Refused in paths, stripped from text the
/// command line prints.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Invisible characters with no width: two paths that look identical could differ by one.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The Windows device name a file or folder name would open instead of a file, if any.
/// Windows looks only at the part before the first dot, ignoring spaces at its end.
fn windows_device_name(segment: &str) -> Option<&str> {
    let stem = segment
        .split_once('.')
        .map_or(segment, |(stem, _)| stem)
        .trim_end_matches(' ');
    let reserved = WINDOWS_DEVICE_NAMES
        .iter()
        .any(|name| stem.eq_ignore_ascii_case(name))
        || WINDOWS_NUMBERED_DEVICES.iter().any(|prefix| {
            let mut chars = stem.chars();
            let head: String = chars.by_ref().take(3).collect();
            let digit = chars.next();
            head.eq_ignore_ascii_case(prefix)
                && digit.is_some_and(|d| WINDOWS_DEVICE_DIGITS.contains(&d))
                && chars.next().is_none()
        });
    reserved.then_some(stem)
}

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
        // The number is the limit's; a test holds the two together.
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

/// Turns any display name into a slug: "My Todo App!" → `my-todo-app`, "Список дел" →
/// `spisok-del`, "日本語" → `ri-ben-yu`.
///
/// Letters and digits of every script are transliterated to ASCII; everything else (spaces,
/// punctuation, emoji) only separates words, so "Todo ✅" is `todo`. A name with no letters or
/// digits at all ("🚀✨") is still a name: it gets `app-` and a short hash of the name, the
/// same hash every time, so the slug a run picks is the one the user can type back. Fails only
/// for an empty name, where asking for a name helps more than inventing one.
pub fn slugify(name: &str) -> Result<Slug> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Error::InvalidName {
            what: "project name",
            value: name.to_string(),
            reason: "it is empty",
        });
    }
    let name = trimmed;
    let words = ascii_words(name);
    if words.is_empty() {
        Slug::new(&hashed_slug(name))
    } else {
        Slug::new(&words)
    }
}

/// The letters and digits of `name` as lowercase ASCII words joined by `-`, at most 63 bytes
/// and never ending in `-`; empty when `name` has no letters or digits.
fn ascii_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_NAME_LEN));
    let mut pending_dash = false;
    // Composed first, so "e" + a combining accent is one letter, not a letter and a break.
    for c in name.nfc() {
        let ascii = if c.is_alphanumeric() {
            deunicode::deunicode_char(c).unwrap_or(" ")
        } else if unicode_normalization::char::is_combining_mark(c) {
            // A mark that did not compose belongs to the letter before it (an Indic vowel
            // sign, say): keep its sound if it has one, never break the word on it.
            deunicode::deunicode_char(c).unwrap_or("")
        } else {
            " "
        };
        for b in ascii.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_dash && !out.is_empty() {
                    // No room for a dash and a letter after it; a slug never ends in a dash.
                    if out.len() + 2 > MAX_NAME_LEN {
                        return out;
                    }
                    out.push('-');
                }
                pending_dash = false;
                out.push(char::from(b.to_ascii_lowercase()));
                if out.len() >= MAX_NAME_LEN {
                    return out;
                }
            } else if b.is_ascii_whitespace() {
                // Transliterations separate syllables with spaces ("日本" → "Ri Ben ").
                pending_dash = true;
            }
            // Other punctuation inside a transliteration ("ь" → "'") is part of the word.
        }
    }
    out
}

/// How many hex digits of the name's SHA-256 a hashed slug carries.
const HASHED_SLUG_DIGITS: usize = 8;

/// `app-` and the start of the name's SHA-256, for names with nothing to transliterate. The
/// name is hashed in composed form, so the same name typed on macOS and Linux finds one project.
fn hashed_slug(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let composed: String = name.nfc().collect();
    let digest = hex::encode(Sha256::digest(composed.as_bytes()));
    format!("app-{}", &digest[..HASHED_SLUG_DIGITS])
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
    /// A user ID made from any name (e.g. the OS user name), transliterated as for a project.
    /// Unlike a project there is no hashed fallback: a user ID is typed and shared, so a name
    /// with no letters or digits is refused and the caller picks a plain default.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::new(&ascii_words(name)).map_err(|_| Error::InvalidName {
            what: "user ID",
            value: name.to_string(),
            reason: "it has no letters or digits to build an ID from",
        })
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
        if let Some(c) = path.chars().find(|&c| is_bidi_control(c)) {
            return reject(&format!(
                "it contains U+{:04X}, an invisible character that reverses or reorders the text around it, so the name could read as a different one",
                u32::from(c)
            ));
        }
        if let Some(c) = path.chars().find(|&c| is_zero_width(c)) {
            return reject(&format!(
                "it contains U+{:04X}, an invisible zero-width character, so two names that look the same could differ",
                u32::from(c)
            ));
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
                _ => {}
            }
            if segment.trim() != segment {
                return reject("a folder or file name starts or ends with a space");
            }
            if segment.ends_with('.') {
                return reject(&format!(
                    "the name “{segment}” ends with “.”, which Windows drops, so it would name a different file there"
                ));
            }
            if segment.len() > MAX_SEGMENT_BYTES {
                return reject(&format!(
                    "a folder or file name is longer than {MAX_SEGMENT_BYTES} bytes, more than file systems allow"
                ));
            }
            // Case-insensitive file systems (macOS, Windows) would merge it with ours on export.
            if segment.to_lowercase() == META_DIR {
                return reject(
                    "the “.bucketforge” folder (in any upper or lower case) is reserved for BucketForge's own records",
                );
            }
            if let Some(device) = windows_device_name(segment) {
                return reject(&format!(
                    "“{segment}” uses “{device}”, a name Windows reserves for a device, so the file could not be saved on Windows"
                ));
            }
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
        // A leading dot alone (".bashrc") is a dotfile, not an extension.
        extension_of(name).is_some_and(|ext| FileKind::for_extension(ext).is_some())
    }

    pub fn as_str(&self) -> &str {
        &self.0
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

    /// Where a zip made for a link to the whole project is kept: inside the project, so it goes
    /// when the project is deleted, and under the person's own prefix.
    pub fn export(&self, name: &str) -> String {
        format!("{}{META_DIR}/exports/{name}", self.prefix())
    }

    /// The object key of revision `n`'s record: written once, never changed.
    pub fn revision(&self, n: u64) -> String {
        format!("{}{META_DIR}/revisions/{n}.json", self.prefix())
    }

    /// The object key of a superseded file version, named by the SHA-256 of its bytes.
    pub fn object(&self, sha256: &str) -> String {
        format!("{}{META_DIR}/objects/{sha256}", self.prefix())
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
    fn a_name_over_the_limit_is_refused_with_the_limit_in_the_message() {
        let long = "x".repeat(MAX_NAME_LEN + 1);
        let err = UserId::new(&long).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("longer than {MAX_NAME_LEN} characters")),
            "{err}"
        );
        assert!(UserId::new(&long[1..]).is_ok());
    }

    #[test]
    fn slugs_are_cut_to_63_characters_without_a_trailing_dash() {
        let long = format!("{} tail", "a".repeat(62));
        let slug = slugify(&long).unwrap();
        assert_eq!(slug.as_str(), "a".repeat(62));
        assert!(slugify(&"word ".repeat(40)).unwrap().as_str().len() <= 63);
    }

    fn slug(name: &str) -> String {
        slugify(name).unwrap().as_str().to_string()
    }

    #[test]
    fn names_in_any_script_are_transliterated_to_readable_slugs() {
        assert_eq!(slug("Crème Brûlée Café"), "creme-brulee-cafe");
        assert_eq!(slug("Straße & Æsir"), "strasse-aesir");
        assert_eq!(slug("Список дел"), "spisok-del");
        assert_eq!(slug("Λίστα εργασιών"), "lista-ergasion");
        assert_eq!(slug("日本語"), "ri-ben-yu");
        assert_eq!(slug("待办事项"), "dai-ban-shi-xiang");
        assert_eq!(slug("ひらがな"), "hiragana");
        assert_eq!(slug("قائمة المهام"), "qym-lmhm");
        assert_eq!(slug("Объект"), "obekt");
    }

    #[test]
    fn emoji_and_symbols_only_separate_the_words_of_a_name() {
        assert_eq!(slug("Todo ✅ List 🚀"), "todo-list");
        assert_eq!(slug("🚀 Rocket"), "rocket");
        assert_eq!(slug("Мой app №2"), "moi-app-2");
    }

    #[test]
    fn accents_typed_as_combining_marks_stay_inside_the_word() {
        assert_eq!(slug("E\u{301}tude"), "etude");
        assert_eq!(slug("Cafe\u{301} q\u{301}x"), "cafe-qx");
    }

    #[test]
    fn a_name_with_no_letters_or_digits_gets_a_stable_hashed_slug() {
        let rocket = slug("🚀✨");
        assert!(rocket.starts_with("app-"), "{rocket}");
        assert_eq!(rocket.len(), "app-".len() + HASHED_SLUG_DIGITS);
        assert!(rocket["app-".len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit()));
        // The same name always gives the same slug, whitespace around it aside.
        assert_eq!(slug("🚀✨"), rocket);
        assert_eq!(slug("  🚀✨ "), rocket);
        // Known value: the first 8 hex digits of SHA-256("🚀✨"), so the slug never changes
        // between versions and a user can type the name back to find the project.
        assert_eq!(rocket, "app-dfecabc5");
        assert_ne!(slug("✨🚀"), rocket);
        assert!(slug("!!!").starts_with("app-"));
        assert!(slug("\u{200B}").starts_with("app-"));
    }

    #[test]
    fn only_an_empty_name_is_refused() {
        for name in ["", "   ", "\t\n"] {
            let err = slugify(name).unwrap_err();
            assert_eq!(err.code(), "invalid_name", "{name:?}");
            assert!(err.to_string().contains("it is empty"), "{err}");
        }
    }

    #[test]
    fn long_names_in_any_script_are_cut_to_63_characters() {
        for name in [
            "Очень длинное название проекта, которое никак не помещается в короткое имя",
            &"日本語".repeat(40),
            &"é".repeat(200),
            &format!("{} b", "a".repeat(61)),
        ] {
            let slug = slug(name);
            assert!(slug.len() <= 63, "{slug}");
            assert!(slug.len() >= 55, "{slug} cut too short");
            assert!(!slug.ends_with('-'), "{slug}");
        }
        assert_eq!(
            slug(&format!("{} b", "a".repeat(61))),
            format!("{}-b", "a".repeat(61))
        );
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
        assert_eq!(UserId::from_name("Иван").unwrap().as_str(), "ivan");
        // A user ID is typed and shared: no hashed stand-in, the caller's default applies.
        assert!(UserId::from_name("🚀").is_err());
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
    fn invisible_characters_that_disguise_a_name_are_refused() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let reason = reason_for(&format!("src/App{c}gpj.js"));
            assert!(reason.contains("reorders"), "{c:?}: {reason}");
            assert!(
                reason.contains(&format!("U+{:04X}", u32::from(c))),
                "{reason}"
            );
        }
        for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
            let reason = reason_for(&format!("src/Ap{c}p.jsx"));
            assert!(reason.contains("zero-width"), "{c:?}: {reason}");
        }
        assert!(reason_for("a\u{9b}b.py").contains("control"));
    }

    #[test]
    fn the_record_folder_is_refused_in_any_case_at_any_depth() {
        for path in [
            ".bucketforge/manifest.json",
            ".BucketForge/manifest.json",
            ".BUCKETFORGE/x.json",
            "frontend/.bucketforge/x.json",
            // The Kelvin sign lower-cases to “k”, as case-insensitive file systems fold it.
            ".buc\u{212A}etforge/x.json",
        ] {
            assert!(reason_for(path).contains("reserved"), "{path:?}");
        }
        assert!(ProjectPath::new("frontend/bucketforge.json").is_ok());
        assert!(ProjectPath::new(".bucketforge.md").is_ok());
    }

    #[test]
    fn windows_device_names_are_refused_with_any_extension_or_case() {
        for path in [
            "CON",
            "con.js",
            "src/Aux.jsx",
            "nul.tar.gz",
            "prn/index.html",
            "COM1.txt",
            "lpt9/a.py",
            "com².md",
            "com0.md",
            "Con .txt",
            "conin$.md",
        ] {
            let reason = reason_for(path);
            assert!(
                reason.contains("reserves for a device"),
                "{path:?}: {reason}"
            );
        }
        for ok in [
            "console.js",
            "src/Auxiliary.jsx",
            "null.md",
            "com10.md",
            "lpt.md",
            "icon.svg",
            "src/Con-text.jsx",
        ] {
            assert!(ProjectPath::new(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn names_windows_would_change_or_no_file_system_holds_are_refused() {
        assert!(reason_for("src./App.jsx").contains("ends with “.”"));
        assert!(reason_for("src/.../App.jsx").contains("ends with “.”"));
        assert!(reason_for("src /App.jsx").contains("space"));
        let long = format!("{}.md", "a".repeat(253));
        assert!(reason_for(&long).contains("255 bytes"));
        assert!(ProjectPath::new(&format!("{}.md", "a".repeat(252))).is_ok());
        // 255 bytes, not characters: 85 three-byte letters and “.md” are 258 bytes.
        assert!(reason_for(&format!("{}.md", "語".repeat(85))).contains("255 bytes"));
        assert!(ProjectPath::new(&format!("{}.md", "語".repeat(84))).is_ok());
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
        fn any_text_but_an_empty_name_slugifies_to_a_valid_slug(name in "\\PC{0,120}|.{0,120}") {
            match slugify(&name) {
                Ok(slug) => {
                    prop_assert!(Slug::new(slug.as_str()).is_ok());
                    prop_assert_eq!(slugify(&name).unwrap(), slug);
                }
                Err(e) => {
                    prop_assert_eq!(e.code(), "invalid_name");
                    prop_assert!(name.trim().is_empty(), "{:?} was refused: {}", name, e);
                }
            }
        }

        #[test]
        fn ordinary_paths_in_any_script_are_accepted(path in valid_path()) {
            prop_assert!(ProjectPath::new(&path).is_ok(), "{:?}: {:?}", path, ProjectPath::new(&path));
        }

        #[test]
        fn a_path_with_an_invisible_character_anywhere_is_refused(
            path in valid_path(),
            c in prop::sample::select(INVISIBLE),
            at in any::<prop::sample::Index>(),
        ) {
            let mut chars: Vec<char> = path.chars().collect();
            chars.insert(at.index(chars.len() + 1), c);
            let poisoned: String = chars.into_iter().collect();
            let reason = reason_for(&poisoned);
            prop_assert!(reason.contains("invisible"), "{:?}: {}", poisoned, reason);
        }

        #[test]
        fn a_path_through_a_reserved_name_in_any_case_is_refused(
            (dirs, file) in valid_parts(),
            (reserved, rule) in reserved_segment(),
            at in any::<prop::sample::Index>(),
        ) {
            let mut segments = dirs;
            segments.insert(at.index(segments.len() + 1), reserved);
            segments.push(file);
            let poisoned = segments.join("/");
            let reason = reason_for(&poisoned);
            prop_assert!(reason.contains(rule), "{:?}: {}", poisoned, reason);
        }

        #[test]
        fn checking_any_path_never_panics(path in any::<String>()) {
            let _ = ProjectPath::new(&path);
        }
    }

    const INVISIBLE: &[char] = &[
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}',
        '\u{200D}', '\u{2060}', '\u{FEFF}',
    ];

    /// Folder names and a file name of any script. Each starts with “_” so none is a device
    /// name or the record folder by chance, and ends with a letter or digit, never a dot.
    fn valid_parts() -> impl Strategy<Value = (Vec<String>, String)> {
        (
            prop::collection::vec("_[\\p{L}\\p{N} _.-]{0,20}[\\p{L}\\p{N}]", 0..4),
            "_[\\p{L}\\p{N} _-]{0,20}\\.(py|jsx|tsx|md|json|css)",
        )
    }

    fn valid_path() -> impl Strategy<Value = String> {
        valid_parts().prop_map(|(mut segments, file)| {
            segments.push(file);
            segments.join("/")
        })
    }

    /// A folder name a path must not pass through, in a random case, and the words its
    /// refusal must contain.
    fn reserved_segment() -> impl Strategy<Value = (String, &'static str)> {
        let device = (
            prop::sample::select(&["con", "prn", "aux", "nul", "com1", "com9", "lpt3", "lpt²"][..]),
            prop::sample::select(&["", ".txt", ".jsx", " .md", ".tar.gz"][..]),
        )
            .prop_map(|(name, ext)| (format!("{name}{ext}"), "reserves for a device"));
        let record = Just((META_DIR.to_string(), "reserved for BucketForge"));
        let trailing_dot = "_[a-z]{1,8}\\.{1,3}".prop_map(|s| (s, "ends with “.”"));
        let too_long = "_[a-z]{255,300}".prop_map(|s| (s, "255 bytes"));
        (
            prop_oneof![device, record, trailing_dot, too_long],
            prop::collection::vec(any::<bool>(), 320),
        )
            .prop_map(|((segment, rule), upper)| {
                let cased = segment
                    .chars()
                    .zip(upper)
                    .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                    .collect();
                (cased, rule)
            })
    }
}
