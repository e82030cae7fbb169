//! Plan → files in parallel → validate → repair → upload → manifest.

pub mod events;
pub mod limit;
pub mod prompts;
pub mod run;

pub use events::GenerationEvent;
pub use run::{EventSink, GenerationSettings, Generator, NewProject};
