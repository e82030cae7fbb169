//! The engine's one error type: each variant says what went wrong and what the user can do.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("“{value}” can't be used as a {what}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },

    #[error("The file path “{path}” was rejected: {reason}")]
    InvalidPath { path: String, reason: String },

    #[error("No system keyring is available: unlock or install GNOME Keyring / KWallet")]
    KeyringUnavailable,

    #[error("The system keyring could not handle “{name}”: {detail}")]
    Keyring { name: String, detail: String },

    #[error("“{name}” was left empty: paste the key itself")]
    EmptySecret { name: String },
}

impl Error {
    /// A stable code the UI and `--json` output switch on; the message is for people.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "invalid_name",
            Error::InvalidPath { .. } => "invalid_path",
            Error::KeyringUnavailable => "keyring_unavailable",
            Error::Keyring { .. } => "keyring",
            Error::EmptySecret { .. } => "empty_secret",
        }
    }

    /// `{ code, message }`, the shape every command error takes on its way to the UI.
    pub fn to_report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// `{ code, message }`: how every error reaches the UI and `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
}
