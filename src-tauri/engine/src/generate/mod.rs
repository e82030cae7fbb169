//! Plan → files in parallel → validate → repair → upload → manifest.

pub mod answer;
pub mod prompts;
