//! HTML, run through html5ever's full tree builder (the HTML5 parsing algorithm).
//!
//! html5ever never fails, it reports parse errors; the first one is the problem. The sink
//! keeps only what the tree builder asks about (element names), not a document.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{parse_document, Attribute, ParseOpts, QualName};

use super::problem::Problem;

pub(super) fn check(source: &str) -> Result<(), Problem> {
    let sink = ErrorSink::default();
    let errors = parse_document(sink, ParseOpts::default()).one(source);
    match errors.into_iter().next() {
        None => Ok(()),
        Some((line, message)) => Err(Problem::at_line(message, line as u32, None)),
    }
}

type Handle = usize;

struct ErrorSink {
    /// Element names by handle; `None` for the document, comments and other non-elements.
    names: RefCell<Vec<Option<QualName>>>,
    template_contents: RefCell<Vec<(Handle, Handle)>>,
    line: Cell<u64>,
    errors: RefCell<Vec<(u64, String)>>,
    /// Answered for a handle that names no element, which the tree builder never asks for:
    /// a wrong answer beats a panic on a page nobody expected.
    no_name: RefCell<QualName>,
}

impl Default for ErrorSink {
    fn default() -> Self {
        Self {
            names: RefCell::default(),
            template_contents: RefCell::default(),
            line: Cell::default(),
            errors: RefCell::default(),
            no_name: RefCell::new(QualName::new(None, Default::default(), Default::default())),
        }
    }
}

impl ErrorSink {
    fn new_node(&self, name: Option<QualName>) -> Handle {
        let mut names = self.names.borrow_mut();
        names.push(name);
        names.len() // handle 0 is the document
    }
}

impl TreeSink for ErrorSink {
    type Handle = Handle;
    type Output = Vec<(u64, String)>;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self::Output {
        self.errors.into_inner()
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.errors
            .borrow_mut()
            .push((self.line.get().max(1), msg.into_owned()));
    }

    fn set_current_line(&self, line_number: u64) {
        self.line.set(line_number);
    }

    fn get_document(&self) -> Handle {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> Ref<'a, QualName> {
        Ref::filter_map(self.names.borrow(), |names| {
            target
                .checked_sub(1)
                .and_then(|i| names.get(i))
                .and_then(Option::as_ref)
        })
        .unwrap_or_else(|_| self.no_name.borrow())
    }

    fn create_element(&self, name: QualName, _: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let element = self.new_node(Some(name));
        if flags.template {
            let contents = self.new_node(None);
            self.template_contents
                .borrow_mut()
                .push((element, contents));
        }
        element
    }

    fn create_comment(&self, _: StrTendril) -> Handle {
        self.new_node(None)
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> Handle {
        self.new_node(None)
    }

    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.template_contents
            .borrow()
            .iter()
            .find(|(element, _)| element == target)
            .map(|(_, contents)| *contents)
            // Every template gets its contents when created; any other node is its own.
            .unwrap_or(*target)
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        x == y
    }

    // The tree itself is not needed to find parse errors.
    fn append(&self, _: &Handle, _: NodeOrText<Handle>) {}
    fn append_based_on_parent_node(&self, _: &Handle, _: &Handle, _: NodeOrText<Handle>) {}
    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}
    fn set_quirks_mode(&self, _: QuirksMode) {}
    fn append_before_sibling(&self, _: &Handle, _: NodeOrText<Handle>) {}
    fn add_attrs_if_missing(&self, _: &Handle, _: Vec<Attribute>) {}
    fn remove_from_parent(&self, _: &Handle) {}
    fn reparent_children(&self, _: &Handle, _: &Handle) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_vite_index_page() {
        let page = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Todo</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <template><li></li></template>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n    <script>if (1 < 2 && 3 > 2) console.log('<b>')</script>\n  </body>\n</html>\n";
        assert_eq!(check(page), Ok(()));
    }

    #[test]
    fn reports_broken_markup_with_its_line() {
        let page = "<!doctype html>\n<html>\n<body>\n<div id=\"root\"\n";
        let p = check(page).unwrap_err();
        assert!(p.line.is_some(), "{p}");
    }

    #[test]
    fn reports_a_missing_doctype() {
        assert!(check("<html><body><p>hi</p></body></html>").is_err());
    }

    #[test]
    fn reports_stray_end_tags() {
        assert!(check("<!doctype html><html><body></div></body></html>").is_err());
    }
}
