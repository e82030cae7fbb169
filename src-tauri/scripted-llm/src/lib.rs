//! A scripted LLM server on loopback that speaks the OpenAI and Anthropic wire formats,
//! answers by task, and fails on demand; for tests and benchmarks.
//!
//! Endpoints: `POST /v1/chat/completions` and `/chat/completions` (OpenAI), `POST /v1/messages`
//! (Anthropic), streamed or not as the request asks; `GET /v1/models` and `/models` (in
//! Anthropic's shape when the request carries `anthropic-version`), and Ollama's
//! `GET /api/tags`.
//!
//! A request is routed by the first line of its final user message, `TASK: <task>` (see the
//! prompt contract in DESIGN.md); the n-th request for a task gets the n-th scripted reply and
//! the last one repeats, so "broken first, fixed after" is two replies.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bucketforge_scripted_llm::{Fault, Reply, Script, ScriptedLlm};
//!
//! let server = ScriptedLlm::start(
//!     Script::new()
//!         .reply("plan", Reply::text(r#"{"name": "Todo"}"#).usage(850, 120))
//!         .replies(
//!             "write backend/main.py",
//!             [Reply::fault(Fault::rate_limited(1)), Reply::text("print(1)")],
//!         ),
//! )
//! .await?;
//! let openai_base = server.openai_base_url(); // http://127.0.0.1:PORT/v1
//! let anthropic_base = server.url(); // http://127.0.0.1:PORT
//! assert_eq!(server.requests_for("plan").len(), 0);
//! # Ok(()) }
//! ```
//!
//! The `scripted-llm` binary reads the same `Script` as JSON (`script.example.json` beside
//! this crate's manifest shows every field).

mod dialect;
mod script;
mod server;

pub use dialect::Protocol;
pub use script::{Fault, Reply, Script, StreamError, UsageNumbers};
pub use server::{RecordedRequest, ScriptedLlm};
