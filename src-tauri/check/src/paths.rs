//! Project paths and URL path templates: joining, and comparing with parameter names ignored.

/// The folder part of a path, with its trailing slash ("" for a file at the root).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    }
}

/// The last segment of a path.
pub(crate) fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// A file name without its last extension: `TodoList` for `TodoList.jsx`.
pub(crate) fn stem(path: &str) -> &str {
    let name = file_name(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// The extension of the last segment, without its dot (`jsx`), or "".
pub(crate) fn extension(path: &str) -> &str {
    let name = file_name(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => "",
    }
}

/// `folder` ("" or ending in `/`) joined with a relative path, `.` and `..` resolved; `None`
/// when the result would climb above the project root.
pub(crate) fn join(folder: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// A URL path with every parameter segment written `{}` and no trailing slash, so two paths
/// that differ only in parameter names compare equal: `/api/todos/{id}` → `/api/todos/{}`.
pub(crate) fn template_key(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if s.contains('{') { "{}" } else { s })
        .collect();
    let mut key = segments.join("/");
    while key.len() > 1 && key.ends_with('/') {
        key.pop();
    }
    key
}

/// Whether a call's path template (`{}` for the parts only known at run time) reaches an
/// endpoint's template: literal segments must be equal; a parameter of the endpoint takes any
/// non-empty segment.
pub(crate) fn call_matches(endpoint_key: &str, call_key: &str) -> bool {
    let endpoint: Vec<&str> = endpoint_key.split('/').collect();
    let call: Vec<&str> = call_key.split('/').collect();
    endpoint.len() == call.len()
        && endpoint
            .iter()
            .zip(&call)
            .all(|(e, c)| e == c || (*e == "{}" && !c.is_empty()))
}

/// Edit distance between two short strings, for naming the nearest endpoints.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    crate::to_u32(newlines + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_paths_and_refuses_to_climb_out() {
        assert_eq!(
            join("frontend/src/", "./components/List").as_deref(),
            Some("frontend/src/components/List")
        );
        assert_eq!(
            join("frontend/src/components/", "../api").as_deref(),
            Some("frontend/src/api")
        );
        assert_eq!(join("", "src/main.jsx").as_deref(), Some("src/main.jsx"));
        assert_eq!(join("src/", "../../x"), None);
    }

    #[test]
    fn names_parts_of_a_path() {
        assert_eq!(parent("frontend/src/App.jsx"), "frontend/src/");
        assert_eq!(parent("App.jsx"), "");
        assert_eq!(stem("src/TodoList.jsx"), "TodoList");
        assert_eq!(stem("src/.env"), ".env");
        assert_eq!(extension("src/App.test.jsx"), "jsx");
        assert_eq!(extension("src/Makefile"), "");
    }

    #[test]
    fn templates_ignore_parameter_names_and_trailing_slashes() {
        assert_eq!(template_key("/api/todos/{id}"), "/api/todos/{}");
        assert_eq!(template_key("/api/todos/{todo_id}/"), "/api/todos/{}");
        assert_eq!(template_key("/"), "/");
        assert!(call_matches("/api/todos/{}", "/api/todos/{}"));
        assert!(call_matches("/api/todos/{}", "/api/todos/7"));
        assert!(!call_matches("/api/todos", "/api/todos/{}"));
        assert!(!call_matches("/api/todos/{}", "/api/todos/"));
    }

    #[test]
    fn measures_edit_distance() {
        assert_eq!(distance("/api/todo", "/api/todos"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn counts_lines_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 999), 3);
    }
}
