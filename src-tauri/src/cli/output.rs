//! What the command line prints: results, errors, sizes, and text made safe for a terminal.

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};

use bucketforge_engine::session::RunActivity;
use bucketforge_engine::store::keys::is_bidi_control;
use bucketforge_engine::store::{lease::spoken_age, ProjectKey};
use bucketforge_engine::Error;
use serde_json::json;

pub(crate) fn report_error(error: &Error, json: bool) {
    let hint = hint(error);
    if json {
        let mut report = json!(error.to_report());
        if let Some(hint) = &hint {
            report["hint"] = json!(hint);
        }
        eprintln!("{report}");
    } else {
        // One line, whatever the message holds, so scripts can rely on it; the command
        // line's own pointer follows the engine's words on that line.
        let line = match &hint {
            Some(hint) => with_hint(&error.to_string(), hint),
            None => error.to_string(),
        };
        eprintln!("error: {}", printable(&line).replace('\n', " "));
    }
}

/// The engine's words, then the command line's pointer as a sentence of its own.
fn with_hint(message: &str, hint: &str) -> String {
    let message = message.trim_end();
    let stop = if message.ends_with(['.', '!', '?', ':']) {
        ""
    } else {
        "."
    };
    format!("{message}{stop} {hint}")
}

/// What to type next, for the errors the command line can point further than the engine's
/// words (which fit the window too).
pub(crate) fn hint(error: &Error) -> Option<String> {
    Some(match error {
        Error::ProjectNotFound { .. } => "`bucketforge list` shows them.".into(),
        Error::FileNotFound { slug, .. } | Error::ManifestUnreadable { slug, .. } => {
            format!("`bucketforge show {slug}` lists them.")
        }
        Error::NotConfirmed { .. } => "Answer “y”, or pass --yes to skip the question.".into(),
        Error::InvalidStoreSettings { .. } => {
            "Storage flags (--bucket, --endpoint-url, …) choose for one command; `bucketforge config set storage.bucket NAME` saves a choice.".into()
        }
        Error::LlmConfigInvalid { .. } => {
            "--provider and --model choose for one run; `bucketforge config set llm.model NAME` saves a choice.".into()
        }
        _ => return None,
    })
}

pub(crate) fn print_json(value: serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
    );
}

/// The status as a person reads it: a `generating` project whose run stopped checking in
/// is interrupted, and says how to finish it.
pub(crate) fn status_line(status: &str, activity: Option<&RunActivity>, slug: &str) -> String {
    match activity {
        Some(a) if a.interrupted => format!(
            "interrupted ({} stopped checking in {} ago); `bucketforge resume {slug}` finishes it",
            a.owner,
            spoken_age(a.seconds_since_check_in)
        ),
        Some(a) => format!(
            "generating ({}, checked in {} ago)",
            a.owner,
            spoken_age(a.seconds_since_check_in)
        ),
        None => status.to_string(),
    }
}

/// Asks on the terminal; anything but "y"/"yes" is a no. Without a terminal the answer is
/// read from stdin unprompted, so `echo y | bucketforge delete …` works and a script with no
/// input gets a refusal, not a question nobody sees.
pub(crate) fn confirm(key: &ProjectKey, bucket: &str) -> bool {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Delete project “{}” of user “{}” and every file in it from bucket “{bucket}”? This can't be undone. [y/N] ",
            key.slug(),
            key.user()
        );
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    match stdin.lock().read_line(&mut answer) {
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Err(_) => false,
    }
}

/// Text from the LLM or a server, made safe for a terminal: escape sequences, control
/// characters other than newline and tab, and bidi controls are removed, so a plan name can't
/// recolour the screen, retitle the window, hide a line or make one path read as another.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    let needs_stripping =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c);
    if !text.chars().any(needs_stripping) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut state = Escape::None;
    for c in text.chars() {
        state = state.next(c, &mut out);
    }
    Cow::Owned(out)
}

/// Where [`printable`] is inside a terminal escape sequence (ECMA-48).
#[derive(Clone, Copy)]
enum Escape {
    None,
    /// After ESC.
    Started,
    /// After ESC and intermediate bytes, waiting for the final one.
    Intermediate,
    /// A control sequence (ESC `[` or CSI): parameters, then a final byte.
    Control,
    /// A control string (OSC, DCS, APC, PM, SOS) that only BEL or ST ends.
    String,
    /// ESC inside a control string: `\` makes it ST, anything else starts a new sequence.
    StringEsc,
}

impl Escape {
    fn next(self, c: char, out: &mut String) -> Self {
        match self {
            Escape::None => match c {
                '\u{1b}' => Escape::Started,
                '\u{9b}' => Escape::Control,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => Escape::String,
                '\n' | '\t' => {
                    out.push(c);
                    Escape::None
                }
                c if c.is_control() || is_bidi_control(c) => Escape::None,
                c => {
                    out.push(c);
                    Escape::None
                }
            },
            Escape::Started => match c {
                '[' => Escape::Control,
                ']' | 'P' | 'X' | '^' | '_' => Escape::String,
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                '\u{30}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::Intermediate => match c {
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                '\u{30}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::Control => match c {
                '\u{20}'..='\u{3f}' => Escape::Control,
                '\u{40}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::String => match c {
                '\u{07}' | '\u{9c}' => Escape::None,
                '\u{1b}' => Escape::StringEsc,
                _ => Escape::String,
            },
            Escape::StringEsc => match c {
                '\\' => Escape::None,
                _ => Escape::Started.next(c, out),
            },
        }
    }
}

pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_follows_the_message_as_its_own_sentence() {
        assert_eq!(
            with_hint("No bucket is set", "`bucketforge list` shows them."),
            "No bucket is set. `bucketforge list` shows them."
        );
        assert_eq!(
            with_hint("No project “x”. ", "`bucketforge list` shows them."),
            "No project “x”. `bucketforge list` shows them."
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MB");
    }

    #[test]
    fn text_without_controls_is_printed_as_it_is() {
        let text = "Список дел 🚀\n\tfrontend/src/App.jsx — “quoted” ✓";
        assert!(matches!(printable(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn terminal_escape_sequences_are_stripped_whole() {
        for (hostile, shown) in [
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}[2J\u{1b}[1;1Hcleared", "cleared"),
            ("a\u{1b}[?25lb", "ab"),
            ("\u{1b}]0;pwned\u{7}title", "title"),
            (
                "\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\",
                "link",
            ),
            ("\u{1b}Pdcs data\u{1b}\\after", "after"),
            ("\u{1b}_apc\u{9c}after", "after"),
            ("\u{9b}31mC1 red", "C1 red"),
            ("\u{9d}0;title\u{7}x", "x"),
            ("\u{1b}(Bcharset", "charset"),
            ("\u{1b}7saved\u{1b}8", "saved"),
            ("\u{1b}]unterminated title", ""),
            ("\u{1b}]0;t\u{1b}[31mred", "red"),
            ("end\u{1b}", "end"),
        ] {
            assert_eq!(printable(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_removed_but_newline_and_tab_stay() {
        assert_eq!(printable("a\rb\u{8}c\u{7}d\u{0}e\u{7f}f\u{85}g"), "abcdefg");
        assert_eq!(printable("line 1\n\tline 2\r\n"), "line 1\n\tline 2\n");
        assert_eq!(
            printable("App\u{202e}gpj.js \u{2066}x\u{2069} \u{200f}\u{61c}"),
            "Appgpj.js x "
        );
        // An ESC before a newline ends there; the newline is kept.
        assert_eq!(printable("a\u{1b}\nb"), "a\nb");
    }
}
