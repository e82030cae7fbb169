//! What a parser found wrong in a file, and where.

use std::fmt;

/// What a parser found wrong: its own message and, when it knows, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// 1-based.
    pub line: Option<u32>,
    /// 1-based, in characters.
    pub column: Option<u32>,
}

impl Problem {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// A problem at a byte offset of `source`.
    pub(crate) fn at_offset(message: impl Into<String>, source: &str, offset: usize) -> Self {
        let (line, column) = line_and_column(source, offset);
        Self {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }

    pub(crate) fn at_line(message: impl Into<String>, line: u32, column: Option<u32>) -> Self {
        Self {
            message: message.into(),
            line: Some(line),
            column,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
fn line_and_column(source: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        assert_eq!(line_and_column("abc", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_and_column("ab\ncd", 99), (2, 3));
        // An offset inside a multi-byte character still lands on that character.
        assert_eq!(line_and_column("é", 1), (1, 1));
    }

    #[test]
    fn problems_read_as_line_column_message() {
        let p = Problem::at_line("unexpected indent", 3, Some(5));
        assert_eq!(p.to_string(), "line 3, column 5: unexpected indent");
    }
}
