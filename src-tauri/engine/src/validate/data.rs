//! Data files: JSON (serde_json), TOML (toml), YAML (yaml-rust2) and SVG as XML (roxmltree).

use super::problem::Problem;

pub(super) fn check_json(source: &str) -> Result<(), Problem> {
    parse_json(source).map(drop)
}

pub(super) fn parse_json(source: &str) -> Result<serde_json::Value, Problem> {
    serde_json::from_str(source).map_err(|e| {
        // serde_json appends " at line L column C" to its message; keep the bare message.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_string();
        Problem::at_line(message, e.line() as u32, Some(e.column() as u32))
    })
}

pub(super) fn check_toml(source: &str) -> Result<(), Problem> {
    match source.parse::<toml::Table>() {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.message().to_string();
            Err(match e.span() {
                Some(span) => Problem::at_offset(message, source, span.start),
                None => Problem::new(message),
            })
        }
    }
}

pub(super) fn check_yaml(source: &str) -> Result<(), Problem> {
    match yaml_rust2::YamlLoader::load_from_str(source) {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = e.marker();
            Err(Problem::at_line(
                e.info().to_string(),
                at.line() as u32,
                Some(at.col() as u32 + 1),
            ))
        }
    }
}

pub(super) fn check_svg(source: &str) -> Result<(), Problem> {
    let doc = roxmltree::Document::parse(source).map_err(|e| {
        let pos = e.pos();
        Problem::at_line(e.to_string(), pos.row, Some(pos.col))
    })?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err(Problem::new(
            "the file is XML but its root element is not <svg>",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_line_and_column() {
        assert_eq!(check_json("{\"a\": [1, 2]}"), Ok(()));
        let p = check_json("{\n  \"a\": 1,\n}\n").unwrap_err();
        assert_eq!(p.line, Some(3), "{p}");
        assert!(!p.message.contains(" at line "), "{p}");
    }

    #[test]
    fn toml_errors_point_at_the_bad_line() {
        assert_eq!(check_toml("[tool.x]\nname = \"a\"\n"), Ok(()));
        let p = check_toml("[tool.x]\nname = \n").unwrap_err();
        assert_eq!(p.line, Some(2), "{p}");
    }

    #[test]
    fn yaml_errors_point_at_the_bad_line() {
        assert_eq!(check_yaml("services:\n  web:\n    image: nginx\n"), Ok(()));
        assert!(check_yaml("a: [1, 2\nb: 3\n").is_err());
    }

    #[test]
    fn svg_must_be_well_formed_xml_with_an_svg_root() {
        assert_eq!(
            check_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>"),
            Ok(())
        );
        assert!(check_svg("<svg><rect></svg>").is_err());
        assert!(check_svg("<html/>").is_err());
    }
}
