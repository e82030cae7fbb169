//! Dependency manifests: `requirements.txt` (PEP 508, via pep508_rs) and `package.json` shape.

use std::str::FromStr;

use pep508_rs::Requirement;
use serde_json::Value;

use super::data::parse_json;
use super::problem::Problem;

/// pip options that may stand on their own line in a requirements file.
const PIP_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--pre",
    "--prefer-binary",
    "--no-binary",
    "--only-binary",
    "--trusted-host",
    "--require-hashes",
];

pub(super) fn check_requirements(source: &str) -> Result<(), Problem> {
    let mut requirements = 0;
    for (index, raw) in source.lines().enumerate() {
        let line_number = index as u32 + 1;
        // pip drops a comment that starts a line or follows whitespace.
        let line = match raw.find(" #") {
            Some(i) => &raw[..i],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        }
        .trim();
        if line.is_empty() {
            continue;
        }
        if line.ends_with('\\') {
            return Err(Problem::at_line(
                "line continuations (“\\”) are not supported; put each requirement on one line",
                line_number,
                None,
            ));
        }
        if line.starts_with('-') {
            let option = line.split([' ', '=']).next().unwrap_or(line);
            if !PIP_OPTIONS.contains(&option) {
                return Err(Problem::at_line(
                    format!("“{option}” is not a pip option"),
                    line_number,
                    None,
                ));
            }
            continue;
        }
        // Hashes trail the requirement itself.
        let requirement = line.split(" --hash").next().unwrap_or(line).trim();
        if let Err(e) = Requirement::<pep508_rs::VerbatimUrl>::from_str(requirement) {
            return Err(Problem::at_line(
                format!("“{requirement}” is not a valid requirement: {}", e.message),
                line_number,
                Some(e.start as u32 + 1),
            ));
        }
        requirements += 1;
    }
    if requirements == 0 {
        return Err(Problem::new("it lists no packages"));
    }
    Ok(())
}

pub(super) fn check_package_json(source: &str) -> Result<(), Problem> {
    let value = parse_json(source)?;
    let Value::Object(root) = &value else {
        return Err(Problem::new("package.json must be a JSON object"));
    };
    match root.get("name") {
        None => {}
        Some(Value::String(name)) if is_npm_name(name) => {}
        Some(other) => {
            return Err(Problem::new(format!(
                "“name” must be a lowercase npm package name, not {other}"
            )))
        }
    }
    for field in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "scripts",
    ] {
        match root.get(field) {
            None => {}
            Some(Value::Object(entries)) => {
                if let Some((key, v)) = entries.iter().find(|(_, v)| !v.is_string()) {
                    return Err(Problem::new(format!(
                        "“{field}.{key}” must be a string, not {v}"
                    )));
                }
            }
            Some(_) => {
                return Err(Problem::new(format!(
                    "“{field}” must be an object of names to strings"
                )))
            }
        }
    }
    let depends_on = |name: &str| {
        ["dependencies", "devDependencies"]
            .iter()
            .any(|f| root.get(*f).and_then(|d| d.get(name)).is_some())
    };
    if depends_on("react") && !depends_on("react-dom") {
        return Err(Problem::new(
            "it depends on “react” but not on “react-dom”, which a web app needs to render",
        ));
    }
    if depends_on("vite") && root.get("scripts").and_then(|s| s.get("dev")).is_none() {
        return Err(Problem::new(
            "it uses Vite but has no “dev” script (usually \"dev\": \"vite\")",
        ));
    }
    Ok(())
}

fn is_npm_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 214
        && !name.starts_with('.')
        && !name.starts_with('_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~@/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typical_requirements() {
        let reqs = "# backend\nfastapi>=0.110\nuvicorn[standard]==0.29.0  # server\npydantic>=2,<3\n\n-r extra.txt\npython-dotenv ; python_version >= \"3.8\"\n";
        assert_eq!(check_requirements(reqs), Ok(()));
    }

    #[test]
    fn refuses_malformed_requirements_naming_the_line() {
        let p = check_requirements("fastapi\nuvicorn===\n").unwrap_err();
        assert_eq!(p.line, Some(2), "{p}");
        assert!(p.message.contains("uvicorn==="), "{p}");
        assert!(check_requirements("pip install fastapi\n").is_err());
        assert!(check_requirements("--frobnicate\nfastapi\n").is_err());
        assert!(check_requirements("# nothing here\n").is_err());
    }

    #[test]
    fn accepts_a_vite_react_package_json() {
        let pkg = r#"{"name":"todo-frontend","private":true,"type":"module",
            "scripts":{"dev":"vite","build":"vite build"},
            "dependencies":{"react":"^18.3.1","react-dom":"^18.3.1"},
            "devDependencies":{"vite":"^5.4.0","@vitejs/plugin-react":"^4.3.1"}}"#;
        assert_eq!(check_package_json(pkg), Ok(()));
    }

    #[test]
    fn refuses_package_json_of_the_wrong_shape() {
        assert!(check_package_json("[]").is_err());
        assert!(check_package_json(r#"{"name":"My App"}"#).is_err());
        assert!(check_package_json(r#"{"dependencies":{"react":18}}"#).is_err());
        assert!(check_package_json(r#"{"dependencies":["react"]}"#).is_err());
        assert!(check_package_json(r#"{"dependencies":{"react":"18"}}"#)
            .unwrap_err()
            .message
            .contains("react-dom"));
        assert!(check_package_json(r#"{"devDependencies":{"vite":"5"}}"#)
            .unwrap_err()
            .message
            .contains("dev"));
        let p = check_package_json("{\n\"name\": \"x\",\n}").unwrap_err();
        assert_eq!(p.line, Some(3));
    }
}
