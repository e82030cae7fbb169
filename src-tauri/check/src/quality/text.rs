//! The recipes for stylesheets, index.html, package.json, and every file's size.

use super::{QualityFinding, QualityRule, Standards};
use crate::paths::{self, line_of};

/// Lines a component file may have: the prompts ask for about 150, this allows some slack.
const COMPONENT_LINES: usize = 200;
/// Lines any other code file may have.
const FILE_LINES: usize = 400;

pub(super) fn review_css(path: &str, text: &str, findings: &mut Vec<QualityFinding>) {
    let uses_tailwind = text.contains("tailwindcss") || text.contains("@tailwind ");
    if uses_tailwind {
        if let Some(offset) = find_directive(text, "@apply") {
            findings.push(QualityFinding::new(
                QualityRule::TailwindClasses,
                path,
                Some(line_of(text, offset)),
                "uses `@apply`, which the preview's Tailwind does not run on stylesheets (the styles go missing there): put the classes on the elements instead",
            ));
        }
    }
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("url(") {
        let start = from + i + 4;
        let inner = lower[start..].trim_start().trim_start_matches(['"', '\'']);
        if super::is_remote(inner) {
            let end = text[start..].find(')').map_or(text.len(), |e| start + e);
            let url = text[start..end]
                .trim()
                .trim_matches(['"', '\''])
                .to_string();
            push_remote(findings, path, text, start, &url);
        }
        from = start;
    }
    for line_start in line_starts(text) {
        let line = text[line_start..].lines().next().unwrap_or_default().trim();
        if let Some(rest) = line.strip_prefix("@import") {
            let target = rest.trim().trim_start_matches(['"', '\'']);
            if super::is_remote(target) {
                let url = target
                    .split(['"', '\'', ';', ' '])
                    .next()
                    .unwrap_or_default();
                push_remote(findings, path, text, line_start, url);
            }
        }
    }
}

pub(super) fn review_html(path: &str, text: &str, findings: &mut Vec<QualityFinding>) {
    for tag in crate::entry::tags(text) {
        let attribute = match tag.name.as_str() {
            "script" | "img" | "iframe" | "video" | "audio" | "source" => "src",
            "link" => "href",
            _ => continue,
        };
        let url = tag.attributes.iter().find(|(name, _)| name == attribute);
        if let Some((_, url)) = url.filter(|(_, url)| super::is_remote(url)) {
            push_remote(findings, path, text, tag.offset, url);
        }
    }
}

pub(super) fn review_package_json(
    path: &str,
    text: &str,
    standards: &Standards,
    findings: &mut Vec<QualityFinding>,
) {
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let declared = ["dependencies", "devDependencies"]
        .iter()
        .find_map(|section| manifest.get(section)?.get("react")?.as_str());
    let Some(range) = declared else { return };
    let want = standards.react_major;
    match major_of(range) {
        Some(major) if major == want => {}
        _ => {
            let offset = text.find("\"react\"").unwrap_or(0);
            findings.push(QualityFinding::new(
                QualityRule::ReactVersion,
                path,
                Some(line_of(text, offset)),
                format!("asks for react \"{range}\", but the preview runs React {want}: declare \"react\": \"^{want}.0.0\" and \"react-dom\": \"^{want}.0.0\", so the app runs the same on your computer"),
            ));
        }
    }
}

pub(super) fn review_size(path: &str, text: &str, findings: &mut Vec<QualityFinding>) {
    let extension = paths::extension(path);
    let component = matches!(extension, "jsx" | "tsx");
    let code = component
        || matches!(
            extension,
            "js" | "ts" | "mjs" | "cjs" | "mts" | "cts" | "py" | "css"
        );
    if !code {
        return;
    }
    let budget = if component {
        COMPONENT_LINES
    } else {
        FILE_LINES
    };
    let lines = text.lines().count();
    if lines > budget {
        let what = if component { "component file" } else { "file" };
        findings.push(QualityFinding::new(
            QualityRule::FileSize,
            path,
            None,
            format!("has {lines} lines, more than a {what} should ({budget}): split it into smaller files"),
        ));
    }
}

fn push_remote(
    findings: &mut Vec<QualityFinding>,
    path: &str,
    text: &str,
    offset: usize,
    url: &str,
) {
    findings.push(QualityFinding::new(
        QualityRule::LocalAssets,
        path,
        Some(line_of(text, offset)),
        format!("loads \"{url}\" from the internet, which the preview blocks and an offline computer lacks: ship the file with the app, or use the system font stack"),
    ));
}

/// `@apply` as a directive (not inside a word).
fn find_directive(text: &str, directive: &str) -> Option<usize> {
    text.match_indices(directive).map(|(i, _)| i).find(|&i| {
        text[i + directive.len()..]
            .chars()
            .next()
            .is_some_and(char::is_whitespace)
    })
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1))
}

/// The major version a range starts from: `^19.0.0` → 19, `~18.2` → 18, `>=19` → 19,
/// `19.x` → 19; `None` for `latest`, `*` or a URL.
fn major_of(range: &str) -> Option<u64> {
    let trimmed = range
        .trim()
        .trim_start_matches(['^', '~', '>', '=', 'v', ' ']);
    let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_are_read_from_the_usual_ranges() {
        assert_eq!(major_of("^19.0.0"), Some(19));
        assert_eq!(major_of("~18.2"), Some(18));
        assert_eq!(major_of(">=19"), Some(19));
        assert_eq!(major_of("19.x"), Some(19));
        assert_eq!(major_of("latest"), None);
    }
}
