//! Plan → files in parallel → validate → repair → upload → manifest.

pub mod answer;
pub mod events;
pub mod prompts;
