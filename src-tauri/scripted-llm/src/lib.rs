//! A scripted LLM server on loopback that speaks the OpenAI and Anthropic wire formats,
//! answers by task, and fails on demand; for tests and benchmarks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bucketforge_scripted_llm::{Fault, Reply, Script, ScriptedLlm};
//!
//! let server = ScriptedLlm::start(
//!     Script::new()
//!         .reply("plan", Reply::text(r#"{"name": "Todo"}"#))
//!         .replies("write backend/main.py", [Reply::fault(Fault::rate_limited(1)), Reply::text("print(1)")]),
//! )
//! .await?;
//! let openai_base = server.openai_base_url(); // http://127.0.0.1:PORT/v1
//! let anthropic_base = server.url(); // http://127.0.0.1:PORT
//! # Ok(()) }
//! ```

mod dialect;
mod script;
mod server;

pub use dialect::Protocol;
pub use script::{Fault, Reply, Script, StreamError, UsageNumbers};
pub use server::{RecordedRequest, ScriptedLlm};
