//! The plan an LLM returns for an idea: what to build, the shared contract and every file.

use serde::{Deserialize, Serialize};

/// The kinds of project BucketForge can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// A Python FastAPI backend and a Vite + React frontend.
    #[default]
    FastapiReact,
    /// A Vite + React single-page app.
    React,
}

impl Stack {
    pub fn as_str(self) -> &'static str {
        match self {
            Stack::FastapiReact => "fastapi-react",
            Stack::React => "react",
        }
    }
}

/// One file the plan asks for, and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFile {
    pub path: String,
    pub purpose: String,
}

/// The plan JSON described in DESIGN.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub summary: String,
    #[serde(default)]
    pub stack: Stack,
    /// Shared with every file prompt: endpoints, shapes, models, component tree, names.
    pub contract: String,
    pub files: Vec<PlannedFile>,
}
