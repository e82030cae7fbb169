//! What the window shows of BucketForge's own updates, and which update addresses it accepts.
//! The checking, download, signature check and install are the Tauri updater plugin's (the
//! app's `updates` module); this part needs no window, so it is tested without one.

use std::net::IpAddr;

use reqwest::Url;
use serde::Serialize;
use ts_rs::TS;

use crate::{Error, Result};

/// What a check for updates found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UpdateCheck {
    /// The version running now.
    pub current_version: String,
    /// Where the update description was read.
    pub address: String,
    /// `None` when this is the newest version.
    pub available: Option<AvailableUpdate>,
}

/// A newer version the update description announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AvailableUpdate {
    pub version: String,
    /// What is new, as the release wrote it.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), when the description says.
    pub published: Option<String>,
    pub install: UpdateInstall,
}

/// How this copy can take the new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum UpdateInstall {
    /// BucketForge downloads it, checks its signature and replaces itself (an AppImage, or the
    /// Windows and macOS installers); the new version runs from the next start.
    InPlace,
    /// The system's package manager owns this copy (`package` is "deb" or "rpm"), or it was not
    /// installed from an installer at all (`package` is `None`): the user downloads the new
    /// installer from `url` and opens it.
    Download {
        url: String,
        package: Option<String>,
    },
}

/// One step of an install: bytes downloaded so far, of `total` when the server said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UpdateProgress {
    #[ts(type = "number")]
    pub downloaded: u64,
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// The address to read the update description from: the one typed in Settings, or
/// `default` (BucketForge's own, from tauri.conf.json) when none is.
///
/// It must be `https://`: the description says which file to install, and only its signature
/// protects that file. Plain `http://` is accepted for this computer alone (a release tried
/// out locally, and the tests' server).
pub fn update_address(typed: &str, default: &str) -> Result<Url> {
    let text = match typed.trim() {
        "" => default.trim(),
        typed => typed,
    };
    let invalid = |reason: &str| Error::UpdateAddressInvalid {
        address: text.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(text).map_err(|e| invalid(&format!("it is not a web address ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Said without them: a password typed into the address never reaches a message or log.
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(Error::UpdateAddressInvalid {
            address: shown.to_string(),
            reason: "it must not carry a user name or password".into(),
        });
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_this_computer(&url) => Ok(url),
        "http" => Err(invalid(
            "it must start with https:// (plain http:// is only for this computer)",
        )),
        _ => Err(invalid("it must start with https://")),
    }
}

/// `localhost` or a loopback IP address.
fn is_this_computer(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "https://releases.bucketforge.app/latest.json";

    #[test]
    fn an_empty_address_means_bucketforges_own() {
        assert_eq!(update_address("  ", DEFAULT).unwrap().as_str(), DEFAULT);
    }

    #[test]
    fn a_typed_https_address_is_used_as_typed() {
        let url = update_address(
            " https://my-bucket.s3.eu-west-1.amazonaws.com/bucketforge/latest.json ",
            DEFAULT,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/bucketforge/latest.json"
        );
    }

    #[test]
    fn plain_http_is_accepted_for_this_computer_only() {
        for ok in [
            "http://127.0.0.1:8123/latest.json",
            "http://localhost/latest.json",
            "http://[::1]:9000/latest.json",
        ] {
            assert!(update_address(ok, DEFAULT).is_ok(), "{ok}");
        }
        for refused in [
            "http://updates.example.com/latest.json",
            "http://192.168.1.10/latest.json",
            "http://127.0.0.1.example.com/latest.json",
        ] {
            let err = update_address(refused, DEFAULT).unwrap_err();
            assert_eq!(err.code(), "update_address_invalid", "{refused}");
            assert!(err.to_string().contains("https://"), "{err}");
            assert!(err.to_string().contains(refused), "{err}");
        }
    }

    #[test]
    fn other_schemes_credentials_and_text_that_is_no_address_are_refused() {
        for refused in [
            "ftp://example.com/latest.json",
            "file:///tmp/latest.json",
            "latest.json",
            "https://user:pass@example.com/latest.json",
        ] {
            let err = update_address(refused, DEFAULT).unwrap_err();
            assert_eq!(err.code(), "update_address_invalid", "{refused}");
        }
        let err = update_address("https://user:pass@example.com/x", DEFAULT).unwrap_err();
        assert!(!err.to_string().contains("pass@"), "{err}");
    }
}
