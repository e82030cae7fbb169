//! Keeps secrets out of the log: every secret this process holds is replaced, in its common
//! encodings, before a log line is written anywhere.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bucketforge_engine::llm::ProviderKind;
use bucketforge_engine::secrets::{text_forms, SecretName, SecretStore, MIN_SECRET_LEN};
use bucketforge_engine::Result;
use secrecy::{ExposeSecret, SecretString};
use tracing_subscriber::fmt::MakeWriter;

/// What a secret is replaced with.
pub const REDACTED: &str = "[secret]";

/// The byte forms of every secret seen so far, longest first so a form that contains another
/// is replaced whole.
static FORMS: RwLock<Vec<Vec<u8>>> = RwLock::new(Vec::new());

/// From now on `secret` never reaches the log, nor does its UTF-16, base64, URL or JSON form.
/// A value shorter than [`MIN_SECRET_LEN`] (a key half typed) is not a secret yet.
pub fn remember(secret: &str) {
    let mut values = vec![secret, secret.trim()];
    values.retain(|s| s.len() >= MIN_SECRET_LEN);
    values.dedup();
    let forms: Vec<Vec<u8>> = values.into_iter().flat_map(forms_of).collect();
    {
        // Every read of the keyring passes here: a secret already known takes only a read lock.
        let known = FORMS.read().unwrap_or_else(|p| p.into_inner());
        if forms.iter().all(|form| known.contains(form)) {
            return;
        }
    }
    let mut known = FORMS.write().unwrap_or_else(|p| p.into_inner());
    for form in forms {
        if !known.contains(&form) {
            known.push(form);
        }
    }
    known.sort_by_key(|form| std::cmp::Reverse(form.len()));
}

/// The ways a secret is commonly written out: the engine's text forms (as it is, base64,
/// percent-encoded, JSON and debug escapes) and UTF-16 in either byte order.
fn forms_of(secret: &str) -> Vec<Vec<u8>> {
    let mut forms: Vec<Vec<u8>> = text_forms(secret)
        .into_iter()
        .map(String::into_bytes)
        .collect();
    forms.push(secret.encode_utf16().flat_map(u16::to_le_bytes).collect());
    forms.push(secret.encode_utf16().flat_map(u16::to_be_bytes).collect());
    forms.sort();
    forms.dedup();
    forms
}

/// `bytes` with every known secret form replaced by [`REDACTED`]; borrowed when none is there.
pub fn scrub(bytes: &[u8]) -> Cow<'_, [u8]> {
    let known = FORMS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = Cow::Borrowed(bytes);
    for form in known.iter() {
        if let Some(replaced) = replace_all(&out, form, REDACTED.as_bytes()) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// `text` with every known secret form replaced by [`REDACTED`].
pub fn scrub_text(text: &str) -> String {
    String::from_utf8_lossy(&scrub(text.as_bytes())).into_owned()
}

/// `haystack` with each `needle` replaced by `with`, or `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let mut found = memchr::memmem::find_iter(haystack, needle).peekable();
    found.peek()?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    for at in found {
        out.extend_from_slice(&haystack[from..at]);
        out.extend_from_slice(with);
        from = at + needle.len();
    }
    out.extend_from_slice(&haystack[from..]);
    Some(out)
}

/// A log destination whose every line is scrubbed before it is written.
pub struct Scrubbed<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbed<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter {
            inner: self.0.make_writer(),
            line: Vec::new(),
        }
    }
}

/// Holds one log event's bytes and writes them, scrubbed, when the event is done with it: a
/// secret split across two writes is still found.
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            // A log line that can't be written is dropped; logging never stops the app.
            let _ = self.inner.write_all(&scrub(&self.line));
            let _ = self.inner.flush();
        }
    }
}

/// A secret store that tells the scrubber every value it reads or saves, so a secret is known
/// to it before anything could log it.
pub struct Watched(pub Arc<dyn SecretStore>);

#[async_trait]
impl SecretStore for Watched {
    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>> {
        let value = self.0.get(name).await?;
        if let Some(value) = &value {
            remember(value.expose_secret());
        }
        Ok(value)
    }

    async fn set(&self, name: &SecretName, value: &SecretString) -> Result<()> {
        // First: a failed save may put the value in an error.
        remember(value.expose_secret());
        self.0.set(name, value).await
    }

    async fn delete(&self, name: &SecretName) -> Result<()> {
        self.0.delete(name).await
    }
}

/// Secrets the environment hands the CLI (storage keys and each provider's API key variable).
pub fn remember_environment() {
    let provider_vars = ProviderKind::ALL
        .into_iter()
        .filter_map(|kind| kind.preset().env_var);
    let storage_vars = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
    for var in storage_vars.into_iter().chain(provider_vars) {
        if let Ok(value) = std::env::var(var) {
            remember(&value);
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn scrubbed(text: &[u8]) -> String {
        String::from_utf8_lossy(&scrub(text)).into_owned()
    }

    #[test]
    fn a_remembered_secret_is_replaced_in_every_common_form() {
        let secret = "sk-unit-7f3a+b/c==";
        remember(secret);
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(
            scrubbed(format!("key={secret}!").as_bytes()),
            "key=[secret]!"
        );
        assert_eq!(scrubbed(format!("auth {b64}").as_bytes()), "auth [secret]");
        assert_eq!(scrubbed(b"q=sk-unit-7f3a%2Bb%2Fc%3D%3D&x"), "q=[secret]&x");
        let mut raw = b"bytes:".to_vec();
        raw.extend_from_slice(&utf16);
        assert_eq!(scrubbed(&raw), "bytes:[secret]");
    }

    #[test]
    fn text_without_a_secret_is_left_as_it_is() {
        remember("sk-unit-other-91c2");
        assert_eq!(
            scrubbed(b"generation finished files=6"),
            "generation finished files=6"
        );
    }

    #[test]
    fn a_value_too_short_to_be_a_key_is_not_scrubbed_from_ordinary_words() {
        // What Settings holds while a key is being typed.
        remember("s");
        remember("sk-1");
        remember("  sk-trimmed-4e1f  ");
        assert_eq!(
            scrubbed(b"saving settings: sk-1 files=6"),
            "saving settings: sk-1 files=6"
        );
        assert_eq!(scrubbed(b"key sk-trimmed-4e1f!"), "key [secret]!");
    }

    #[test]
    fn a_secret_split_across_writes_is_still_replaced() {
        remember("sk-split-5d0e44aa");
        let mut sink = Vec::new();
        {
            let mut writer = ScrubbingWriter {
                inner: &mut sink,
                line: Vec::new(),
            };
            writer.write_all(b"error: key sk-spl").unwrap();
            writer.write_all(b"it-5d0e44aa refused\n").unwrap();
        }
        assert_eq!(
            String::from_utf8(sink).unwrap(),
            "error: key [secret] refused\n"
        );
    }
}
