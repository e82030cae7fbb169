//! Looks for secrets in anything the app produced (answers, events, files, logs), in the forms a
//! leak would take: UTF-8, UTF-16 (little and big endian) and base64 (standard and URL-safe, at
//! each of the three byte offsets a secret can start at inside a longer encoded text).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

/// One encoded form of one secret.
struct Needle {
    /// Which secret (its position in the list), never the value: a report must not leak it.
    secret: usize,
    form: String,
    bytes: Vec<u8>,
}

/// Every form of a set of secrets, ready to search any text or file for.
pub struct SecretSweep {
    needles: Vec<Needle>,
}

/// Where a secret was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// The secret's position in the list the sweep was made from.
    pub secret: usize,
    /// How it was encoded, e.g. "base64 (URL-safe), offset 2".
    pub form: String,
    /// The byte offset of the match.
    pub at: usize,
}

impl SecretSweep {
    /// Secrets shorter than 8 bytes would match by chance; the sweep refuses them.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let mut needles = Vec::new();
        for (secret, value) in secrets.into_iter().enumerate() {
            let value = value.as_ref().as_bytes();
            assert!(
                value.len() >= 8,
                "secret #{secret} is too short to look for without false alarms"
            );
            let mut add = |form: String, bytes: Vec<u8>| {
                needles.push(Needle {
                    secret,
                    form,
                    bytes,
                })
            };
            add("UTF-8".into(), value.to_vec());
            let text = String::from_utf8_lossy(value);
            add(
                "UTF-16LE".into(),
                text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            );
            add(
                "UTF-16BE".into(),
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            );
            for (name, engine) in [("standard", STANDARD_NO_PAD), ("URL-safe", URL_SAFE_NO_PAD)] {
                for offset in 0..3 {
                    add(
                        format!("base64 ({name}), offset {offset}"),
                        base64_core(&engine, value, offset),
                    );
                }
            }
        }
        Self { needles }
    }

    /// The first secret found in `haystack`, in any of its forms.
    pub fn find(&self, haystack: &[u8]) -> Option<Leak> {
        self.needles.iter().find_map(|needle| {
            memchr::memmem::find(haystack, &needle.bytes).map(|at| Leak {
                secret: needle.secret,
                form: needle.form.clone(),
                at,
            })
        })
    }

    /// Fails the test when `haystack` holds a secret; `what` says what was searched.
    pub fn assert_clean(&self, what: &str, haystack: &[u8]) {
        if let Some(leak) = self.find(haystack) {
            panic!(
                "{what} holds secret #{} ({}) at byte {}",
                leak.secret, leak.form, leak.at
            );
        }
    }

    /// Fails the test when any file under `dir` holds a secret. Returns the files searched, so
    /// a caller can prove the sweep saw what it meant to.
    pub fn assert_dir_clean(&self, dir: &Path) -> Vec<PathBuf> {
        let files = files_under(dir);
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("read {file:?}: {e}"));
            self.assert_clean(&file.display().to_string(), &bytes);
        }
        files
    }
}

/// The base64 characters that depend only on `secret` when it starts `offset` bytes into the
/// encoded data, whatever comes before and after it.
fn base64_core(engine: &impl Engine, secret: &[u8], offset: usize) -> Vec<u8> {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(secret);
    let encoded = engine.encode(&padded).into_bytes();
    // Character i holds bits [6i, 6i + 6); the secret holds bits [8 offset, 8 (offset + len)).
    let first = (8 * offset).div_ceil(6);
    let end = 8 * (offset + secret.len()) / 6;
    encoded[first..end].to_vec()
}

/// Every regular file under `dir`, at any depth (symbolic links are not followed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {dir:?}: {e}"));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("list {dir:?}: {e}"));
            let kind = entry
                .file_type()
                .unwrap_or_else(|e| panic!("stat {:?}: {e}", entry.path()));
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    const SECRET: &str = "sk-live-7f3a9c2e1b";

    fn sweep() -> SecretSweep {
        SecretSweep::new(["another-secret-0000", SECRET])
    }

    #[test]
    fn finds_a_secret_in_utf8_and_both_utf16_byte_orders() {
        let utf16le: Vec<u8> = format!("key={SECRET};")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        // Alone, so the little-endian form (one byte later, which ASCII in UTF-16BE followed
        // by more text also holds) cannot match.
        let utf16be: Vec<u8> = SECRET.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let sweep = sweep();
        assert_eq!(
            sweep
                .find(format!("{{\"key\":\"{SECRET}\"}}").as_bytes())
                .map(|l| (l.secret, l.form)),
            Some((1, "UTF-8".into()))
        );
        assert_eq!(
            sweep.find(&utf16le).map(|l| l.form),
            Some("UTF-16LE".into())
        );
        assert_eq!(
            sweep.find(&utf16be).map(|l| l.form),
            Some("UTF-16BE".into())
        );
    }

    #[test]
    fn finds_a_secret_base64_encoded_inside_longer_data_at_every_offset() {
        let sweep = sweep();
        for prefix in ["", "a", "ab", "abc", "abcd", "Authorization: Basic user:"] {
            for suffix in ["", "x", "xy", "\u{1F600}"] {
                let data = format!("{prefix}{SECRET}{suffix}");
                for (name, encoded) in [
                    ("standard", STANDARD.encode(&data)),
                    ("URL-safe", URL_SAFE.encode(&data)),
                ] {
                    let leak = sweep
                        .find(encoded.as_bytes())
                        .unwrap_or_else(|| panic!("missed {name} base64 of {data:?}"));
                    assert_eq!(leak.secret, 1);
                    assert!(leak.form.starts_with("base64"), "{leak:?}");
                }
            }
        }
    }

    #[test]
    fn url_safe_and_standard_base64_differ_where_the_alphabets_do() {
        // "~~~" encodes to "fn5+" and "???" to "Pz8/" in the standard alphabet, "fn5-" and
        // "Pz8_" in the URL-safe one: such a secret needs both alphabets.
        let secret = "~~~???~~~???";
        let sweep = SecretSweep::new([secret]);
        assert_ne!(STANDARD.encode(secret), URL_SAFE.encode(secret));
        assert!(sweep.find(URL_SAFE.encode(secret).as_bytes()).is_some());
        assert!(sweep.find(STANDARD.encode(secret).as_bytes()).is_some());
    }

    #[test]
    fn text_without_the_secret_is_clean() {
        let sweep = sweep();
        let near_misses = format!(
            "{} {} {}",
            &SECRET[..SECRET.len() - 1],
            SECRET.to_uppercase(),
            STANDARD.encode(&SECRET[1..SECRET.len() - 1])
        );
        assert_eq!(sweep.find(near_misses.as_bytes()), None);
        sweep.assert_clean("near misses", near_misses.as_bytes());
    }

    #[test]
    fn a_directory_sweep_reads_every_file_at_any_depth() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("top.txt"), "nothing here").unwrap();
        std::fs::write(dir.path().join("a/b/deep.log"), URL_SAFE.encode(SECRET)).unwrap();
        let caught = std::panic::catch_unwind(|| sweep().assert_dir_clean(dir.path()));
        let message = caught
            .expect_err("the deep file holds the secret")
            .downcast::<String>()
            .unwrap();
        assert!(message.contains("deep.log"), "{message}");
        assert!(
            !message.contains(SECRET),
            "the report never shows the secret"
        );
        std::fs::remove_file(dir.path().join("a/b/deep.log")).unwrap();
        assert_eq!(
            sweep().assert_dir_clean(dir.path()),
            vec![dir.path().join("top.txt")]
        );
    }
}
