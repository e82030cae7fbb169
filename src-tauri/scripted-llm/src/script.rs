//! What the scripted server answers: replies per task, in order, with faults on demand.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything the server will say. Serialises to the JSON the `scripted-llm` binary reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// When set, requests without this key (as `Authorization: Bearer` or `x-api-key`) get 401.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Listed by the model endpoints. When not empty, chat requests for other models get 404.
    #[serde(default)]
    pub models: Vec<String>,
    /// Replies by task: the text after `TASK: ` on the first line of the final user message
    /// (`plan`, `write backend/main.py`, ...). The n-th request for a task gets the n-th reply;
    /// the last one repeats.
    #[serde(default)]
    pub replies: BTreeMap<String, Vec<Reply>>,
    /// For requests whose task has no replies, or that name no task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Reply>,
    /// The model endpoints stream a list that never ends, as a hostile server might.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub endless_model_list: bool,
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    pub fn from_json(json: &str) -> Result<Script, serde_json::Error> {
        serde_json::from_str(json)
    }

    pub fn from_file(path: &Path) -> std::io::Result<Script> {
        let text = std::fs::read_to_string(path)?;
        Script::from_json(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Appends `reply` to the sequence for `task`.
    pub fn reply(mut self, task: impl Into<String>, reply: Reply) -> Script {
        self.replies.entry(task.into()).or_default().push(reply);
        self
    }

    /// Appends `replies`, in order, to the sequence for `task`.
    pub fn replies(
        mut self,
        task: impl Into<String>,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Script {
        self.replies.entry(task.into()).or_default().extend(replies);
        self
    }

    pub fn fallback(mut self, reply: Reply) -> Script {
        self.fallback = Some(reply);
        self
    }

    pub fn models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> Script {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    pub fn api_key(mut self, key: impl Into<String>) -> Script {
        self.api_key = Some(key.into());
        self
    }

    pub fn endless_model_list(mut self) -> Script {
        self.endless_model_list = true;
        self
    }

    /// The reply for the `attempt`-th request (counting from 1) for `task`.
    pub(crate) fn reply_for(&self, task: Option<&str>, attempt: usize) -> Reply {
        task.and_then(|task| self.replies.get(task))
            .filter(|replies| !replies.is_empty())
            .map(|replies| replies[attempt.saturating_sub(1).min(replies.len() - 1)].clone())
            .or_else(|| self.fallback.clone())
            .unwrap_or_else(|| {
                Reply::text(format!(
                    "scripted-llm: no reply is scripted for task {:?}",
                    task.unwrap_or("(none)")
                ))
            })
    }
}

/// One answer, and how it is delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default)]
    pub text: String,
    /// `stop`, `length`, or any other reason, sent as the protocol spells it.
    #[serde(default = "default_finish")]
    pub finish: String,
    /// The numbers sent as usage; by default about one token per four characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageNumbers>,
    /// False sends no usage at all, as some servers do.
    #[serde(default = "yes")]
    pub send_usage: bool,
    /// Characters per streamed chunk; each chunk counts as one token for `tokens_per_second`.
    #[serde(default = "default_chunk_chars")]
    pub chunk_chars: usize,
    /// Delay before the first text chunk.
    #[serde(default)]
    pub first_token_ms: u64,
    /// Chunks per second after the first; unset sends them as fast as possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

fn default_finish() -> String {
    "stop".to_string()
}

fn yes() -> bool {
    true
}

fn default_chunk_chars() -> usize {
    4
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            finish: default_finish(),
            usage: None,
            send_usage: true,
            chunk_chars: default_chunk_chars(),
            first_token_ms: 0,
            tokens_per_second: None,
            fault: None,
        }
    }

    /// A reply that is only a fault (an error status, say).
    pub fn fault(fault: Fault) -> Reply {
        Reply::text("").with_fault(fault)
    }

    pub fn with_fault(mut self, fault: Fault) -> Reply {
        self.fault = Some(fault);
        self
    }

    pub fn finish(mut self, reason: impl Into<String>) -> Reply {
        self.finish = reason.into();
        self
    }

    /// Ends with finish reason `length`, as when `max_tokens` cut the answer.
    pub fn truncated(self) -> Reply {
        self.finish("length")
    }

    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Reply {
        self.usage = Some(UsageNumbers {
            prompt_tokens,
            completion_tokens,
        });
        self
    }

    pub fn without_usage(mut self) -> Reply {
        self.send_usage = false;
        self
    }

    pub fn chunk_chars(mut self, chars: usize) -> Reply {
        self.chunk_chars = chars;
        self
    }

    pub fn first_token_after(mut self, delay: Duration) -> Reply {
        self.first_token_ms = delay.as_millis() as u64;
        self
    }

    pub fn tokens_per_second(mut self, rate: f64) -> Reply {
        self.tokens_per_second = Some(rate);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageNumbers {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// Something going wrong, on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// An HTTP error status with the protocol's error body (429, 500, 529, 401, ...).
    Status {
        status: u16,
        /// Sent as `Retry-After` (whole seconds, as every provider does).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
        /// Sent as OpenAI's `retry-after-ms`, which lets tests wait less than a second.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// 404 as the provider says it when the model does not exist.
    UnknownModel,
    /// 400 as the provider says it when the prompt is over the context length.
    ContextLength,
    /// The connection is dropped after this many characters of text, with no end marker.
    Cut { after_chars: usize },
    /// A chunk of broken JSON after this many characters; the rest follows normally.
    Malformed { after_chars: usize },
    /// No bytes for `ms` (forever when unset) after this many characters, then the rest.
    Stall {
        after_chars: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
    },
    /// An error event inside the stream after this many characters, then the end.
    ErrorEvent {
        #[serde(default)]
        after_chars: usize,
        error: StreamError,
    },
    /// The text, then the text again every `every_ms`, for ever: deltas with no finish.
    Endless { every_ms: u64 },
    /// Only SSE comments (`: keep-alive`) every `every_ms`, for ever; no text, no finish.
    KeepAliveOnly { every_ms: u64 },
    /// An HTTP error status whose body never ends.
    EndlessErrorBody { status: u16 },
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after_secs: None,
            retry_after_ms: None,
            message: None,
        }
    }

    /// 429 with `Retry-After: <secs>`.
    pub fn rate_limited(retry_after_secs: u64) -> Fault {
        Fault::Status {
            status: 429,
            retry_after_secs: Some(retry_after_secs),
            retry_after_ms: None,
            message: None,
        }
    }

    /// 429 with `retry-after-ms: <ms>`.
    pub fn rate_limited_ms(retry_after_ms: u64) -> Fault {
        Fault::Status {
            status: 429,
            retry_after_secs: None,
            retry_after_ms: Some(retry_after_ms),
            message: None,
        }
    }

    /// 529, Anthropic's "overloaded".
    pub fn overloaded() -> Fault {
        Fault::status(529)
    }

    pub fn cut_after(chars: usize) -> Fault {
        Fault::Cut { after_chars: chars }
    }

    pub fn malformed_after(chars: usize) -> Fault {
        Fault::Malformed { after_chars: chars }
    }

    pub fn stall_after(chars: usize, for_how_long: Duration) -> Fault {
        Fault::Stall {
            after_chars: chars,
            ms: Some(for_how_long.as_millis() as u64),
        }
    }

    pub fn stall_forever_after(chars: usize) -> Fault {
        Fault::Stall {
            after_chars: chars,
            ms: None,
        }
    }

    pub fn error_event(error: StreamError, after_chars: usize) -> Fault {
        Fault::ErrorEvent { after_chars, error }
    }

    pub fn endless(every: Duration) -> Fault {
        Fault::Endless {
            every_ms: every.as_millis() as u64,
        }
    }

    pub fn keep_alive_only(every: Duration) -> Fault {
        Fault::KeepAliveOnly {
            every_ms: every.as_millis() as u64,
        }
    }

    pub fn endless_error_body(status: u16) -> Fault {
        Fault::EndlessErrorBody { status }
    }
}

/// The errors providers report inside a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamError {
    RateLimit,
    Overloaded,
    Server,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_for_a_task_are_given_in_order_and_the_last_repeats() {
        let script = Script::new().replies(
            "write a.py",
            [Reply::fault(Fault::status(500)), Reply::text("x = 1")],
        );
        assert_eq!(
            script.reply_for(Some("write a.py"), 1).fault,
            Some(Fault::status(500))
        );
        assert_eq!(script.reply_for(Some("write a.py"), 2).text, "x = 1");
        assert_eq!(script.reply_for(Some("write a.py"), 9).text, "x = 1");
    }

    #[test]
    fn unscripted_tasks_get_the_fallback_or_a_reply_naming_the_task() {
        let script = Script::new();
        assert!(script.reply_for(Some("plan"), 1).text.contains("\"plan\""));
        let script = script.fallback(Reply::text("ok"));
        assert_eq!(script.reply_for(None, 1).text, "ok");
    }

    #[test]
    fn a_script_file_reads_with_defaults_filled_in() {
        let script = Script::from_json(
            r#"{
                "models": ["gpt-4o-mini"],
                "replies": {
                    "plan": [{"text": "{}", "usage": {"prompt_tokens": 5, "completion_tokens": 1}}],
                    "write main.py": [
                        {"fault": {"kind": "status", "status": 429, "retry_after_secs": 2}},
                        {"text": "print(1)", "finish": "length", "tokens_per_second": 50}
                    ]
                },
                "fallback": {"text": "ok"}
            }"#,
        )
        .unwrap();
        let second = script.reply_for(Some("write main.py"), 2);
        assert_eq!(second.finish, "length");
        assert_eq!(second.chunk_chars, 4);
        assert!(second.send_usage);
        assert_eq!(
            script.reply_for(Some("write main.py"), 1).fault,
            Some(Fault::rate_limited(2))
        );
        assert!(Script::from_json(r#"{"replies": {}, "surprise": 1}"#).is_err());
    }
}
