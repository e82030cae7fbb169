//! `bucketforge history` and `diff` as text: one block per version, and a unified diff.

use bucketforge_engine::session::{ProjectHistory, RevisionDiff};
use bucketforge_engine::store::{FileChangeKind, Revision, RevisionKind};

/// Every version, oldest first, with what was asked, what changed and when.
pub fn history_text(history: &ProjectHistory) -> String {
    if history.revisions.is_empty() {
        return format!(
            "“{}” has no versions yet: its first version is recorded when it is complete, or when it is first changed.\n",
            history.slug
        );
    }
    let mut out = String::new();
    for revision in &history.revisions {
        let current = if Some(revision.number) == history.current {
            " (current)"
        } else {
            ""
        };
        out.push_str(&format!(
            "Version {}{current} — {}, {}\n  {}: {}\n",
            revision.number,
            kind_words(revision.kind),
            revision.created_at,
            match revision.kind {
                RevisionKind::Generated => "Idea",
                _ => "Request",
            },
            revision.request.trim()
        ));
        if !revision.summary.trim().is_empty() {
            out.push_str(&format!("  Summary: {}\n", revision.summary.trim()));
        }
        out.push_str(&format!("  Files: {}\n", changes_text(revision)));
        for change in &revision.changes {
            out.push_str(&format!(
                "    {} {} (+{} −{})\n",
                match change.change {
                    FileChangeKind::Added => "added   ",
                    FileChangeKind::Modified => "modified",
                    FileChangeKind::Removed => "removed ",
                },
                change.path,
                change.lines_added,
                change.lines_removed
            ));
        }
    }
    out
}

fn kind_words(kind: RevisionKind) -> &'static str {
    match kind {
        RevisionKind::Generated => "generated",
        RevisionKind::Changed => "changed by asking",
        RevisionKind::EditedByHand => "edited by hand",
        RevisionKind::Restored => "restored",
        RevisionKind::Fixed => "fixed with AI",
    }
}

/// "2 changed, 1 added, 1 removed", or the file count of a first version.
pub fn changes_text(revision: &Revision) -> String {
    if revision.parent.is_none() {
        return format!("{} files", revision.files.len());
    }
    let count = |kind| revision.changes.iter().filter(|c| c.change == kind).count();
    let parts: Vec<String> = [
        (FileChangeKind::Modified, "changed"),
        (FileChangeKind::Added, "added"),
        (FileChangeKind::Removed, "removed"),
    ]
    .into_iter()
    .filter_map(|(kind, word)| match count(kind) {
        0 => None,
        n => Some(format!("{n} {word}")),
    })
    .collect();
    if parts.is_empty() {
        "no file changed".into()
    } else {
        parts.join(", ")
    }
}

/// The unified diff of every file a version changed (`similar`, three lines of context).
pub fn unified(diff: &RevisionDiff) -> String {
    let mut out = String::new();
    if diff.files.is_empty() {
        out.push_str(&format!(
            "Version {} changed no file against version {}.\n",
            diff.revision,
            diff.parent.map_or("(none)".into(), |p| p.to_string())
        ));
    }
    for file in &diff.files {
        let old = file.before.as_deref().unwrap_or("");
        let new = file.after.as_deref().unwrap_or("");
        let from = match &file.before {
            Some(_) => format!("a/{}", file.path),
            None => "/dev/null".into(),
        };
        let to = match &file.after {
            Some(_) => format!("b/{}", file.path),
            None => "/dev/null".into(),
        };
        let text = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(&from, &to)
            .to_string();
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
