//! Python, parsed with the Ruff parser (the one RustPython uses): full Python 3 grammar.

use super::problem::Problem;

pub(super) fn check(source: &str) -> Result<(), Problem> {
    match rustpython_ruff_python_parser::parse_module(source) {
        Ok(_) => Ok(()),
        Err(e) => Err(Problem::at_offset(
            e.error.to_string(),
            source,
            u32::from(e.location.start()) as usize,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_fastapi_app() {
        let app = r#"
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])

class Todo(BaseModel):
    id: int
    title: str
    done: bool = False

todos: dict[int, Todo] = {}

@app.get("/api/todos")
async def list_todos() -> list[Todo]:
    return list(todos.values())

@app.post("/api/todos", status_code=201)
async def create(todo: Todo) -> Todo:
    match todo.title:
        case "":
            raise ValueError("empty")
        case _:
            todos[todo.id] = todo
    return todo
"#;
        assert_eq!(check(app), Ok(()));
    }

    #[test]
    fn reports_a_syntax_error_with_its_line() {
        let broken = "def ok():\n    return 1\n\ndef broken(:\n    pass\n";
        let p = check(broken).unwrap_err();
        assert_eq!(p.line, Some(4), "{p}");
        assert!(!p.message.is_empty());
    }

    #[test]
    fn reports_bad_indentation() {
        let p = check("if True:\nprint('x')\n").unwrap_err();
        assert_eq!(p.line, Some(2), "{p}");
    }

    #[test]
    fn reports_an_unterminated_string() {
        assert!(check("x = 'never closed\n").is_err());
    }
}
