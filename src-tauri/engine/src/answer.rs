//! Turning an LLM's answer into file content: strip one code fence, join continuations.

/// The content of the first fenced code block: up to its closing fence, or to the end when
/// the answer was cut off before it.
///
/// Inner blocks (a README's ```` ```sh ```` example) are kept: a fence with an info string
/// opens an inner block, and only a bare fence at least as long as the opening one, outside
/// any inner block, closes the outer one.
pub fn fenced_block(answer: &str) -> Option<&str> {
    let mut lines = answer.split_inclusive('\n');
    let mut offset = 0;
    let open_len = loop {
        let line = lines.next()?;
        offset += line.len();
        if let Some((ticks, _)) = fence(line) {
            break ticks;
        }
    };
    let body_start = offset;
    let mut depth = 0usize;
    for line in lines {
        if let Some((ticks, info)) = fence(line) {
            if !info.is_empty() {
                depth += 1;
            } else if ticks >= open_len {
                if depth == 0 {
                    let body = &answer[body_start..offset];
                    return Some(body.strip_suffix('\n').unwrap_or(body));
                }
                depth -= 1;
            }
        }
        offset += line.len();
    }
    Some(&answer[body_start..])
}

/// A fence line's backtick count and info string (`python` in ```` ```python ````).
fn fence(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim();
    let ticks = trimmed.bytes().take_while(|&b| b == b'`').count();
    (ticks >= 3).then(|| (ticks, trimmed[ticks..].trim()))
}

/// The file content in an answer: one surrounding code fence and any chatter before it
/// removed; an answer without a fence is taken as it is.
pub fn file_content(answer: &str) -> String {
    let content = fenced_block(answer).unwrap_or(answer);
    let mut content = content.trim_matches('\n').to_string();
    content.push('\n');
    content
}

/// Appends a continuation to a cut-off answer. Models often repeat the last part of what
/// they already wrote; the longest overlap between the end of `head` and the start of
/// `tail` is kept once.
pub fn join_continuation(head: &str, tail: &str) -> String {
    let tail = fenced_block(tail).unwrap_or(tail);
    let max = head.len().min(tail.len());
    // Overlaps shorter than this are likely coincidence ("}" or a newline), not a repeat.
    const MIN_OVERLAP: usize = 8;
    let overlap = (MIN_OVERLAP..=max)
        .rev()
        .find(|&n| {
            head.is_char_boundary(head.len() - n)
                && tail.is_char_boundary(n)
                && head.ends_with(&tail[..n])
        })
        .unwrap_or(0);
    format!("{head}{}", &tail[overlap..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_one_fence_and_the_chatter_before_it() {
        let answer = "Here is the file:\n\n```python\nprint('hi')\n```\nHope this helps!";
        assert_eq!(file_content(answer), "print('hi')\n");
    }

    #[test]
    fn keeps_an_unfenced_answer_as_it_is() {
        assert_eq!(file_content("print('hi')\n\n"), "print('hi')\n");
    }

    #[test]
    fn keeps_inner_fences_of_a_markdown_file() {
        let answer =
            "```markdown\n# Run it\n\n```sh\nnpm run dev\n```\n\nThen open it.\n```\nEnjoy!";
        assert_eq!(
            file_content(answer),
            "# Run it\n\n```sh\nnpm run dev\n```\n\nThen open it.\n"
        );
        let longer = "````md\nA\n```\nB\n````";
        assert_eq!(file_content(longer), "A\n```\nB\n");
    }

    #[test]
    fn a_cut_off_fenced_answer_keeps_what_arrived() {
        assert_eq!(
            fenced_block("```js\nconst a = 1;\nconst b"),
            Some("const a = 1;\nconst b")
        );
    }

    #[test]
    fn joins_a_continuation_without_repeating_the_overlap() {
        let head = "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    ret";
        let tail = "def sub(a, b):\n    return a - b\n";
        assert_eq!(
            join_continuation(head, tail),
            "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n"
        );
    }

    #[test]
    fn joins_a_clean_continuation_as_is() {
        assert_eq!(
            join_continuation("const total = ", "items.length;\n"),
            "const total = items.length;\n"
        );
    }

    #[test]
    fn strips_a_fence_around_the_continuation() {
        assert_eq!(join_continuation("abc", "```\ndef\n```"), "abcdef");
    }
}
