//! BucketForge's own updates, through the Tauri updater plugin: read the update description
//! (`latest.json`), then download the new version, check its signature against the public key
//! in tauri.conf.json and replace the app, where the app may replace itself. A copy the system's
//! package manager installed (.deb, .rpm) is never overwritten behind its back: the window
//! links the new installer instead.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bucketforge_engine::updates::{
    update_address, AvailableUpdate, UpdateCheck, UpdateInstall, UpdateProgress,
};
use bucketforge_engine::{Error, Result};
use tauri::utils::config::BundleType;
use tauri::{AppHandle, Manager, Runtime, Url};
use tauri_plugin_updater::{Update, UpdaterExt};

/// How long reading the update description may take before the check gives up.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Progress is reported at most once per this many bytes downloaded (and at the end).
const PROGRESS_STEP: u64 = 256 * 1024;

/// How this copy of BucketForge was installed, which decides how it takes a new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// The updater replaces the app itself: the Windows and macOS installers, or an AppImage
    /// (`executable` is the AppImage file, as the AppImage runtime names it in `APPIMAGE`).
    InPlace { executable: Option<PathBuf> },
    /// A .deb or .rpm package: its files belong to the system's package manager.
    Package(&'static str),
    /// A binary built from source or copied by hand: nothing knows how to replace it.
    Unpackaged,
}

impl Installed {
    /// What the bundler marked this binary as, and the AppImage it runs from, if any.
    pub fn detect<R: Runtime>(app: &AppHandle<R>) -> Self {
        Self::from_parts(
            tauri::utils::platform::bundle_type(),
            app.env().appimage.map(PathBuf::from),
            cfg!(target_os = "linux"),
        )
    }

    /// The rule itself. On Linux it follows the plugin's own choice of installer (a binary
    /// marked .deb or .rpm goes to that package manager, anything else is taken for an
    /// AppImage), except that a copy with no AppImage to replace is left alone.
    fn from_parts(bundle: Option<BundleType>, appimage: Option<PathBuf>, linux: bool) -> Self {
        if !linux {
            return Installed::InPlace { executable: None };
        }
        match (bundle, appimage) {
            (Some(BundleType::Deb), _) => Installed::Package("deb"),
            (Some(BundleType::Rpm), _) => Installed::Package("rpm"),
            (_, Some(appimage)) => Installed::InPlace {
                executable: Some(appimage),
            },
            (_, None) => Installed::Unpackaged,
        }
    }

    fn install_way(&self, update: &Update) -> UpdateInstall {
        match self {
            Installed::InPlace { .. } => UpdateInstall::InPlace,
            Installed::Package(package) => UpdateInstall::Download {
                url: update.download_url.to_string(),
                package: Some((*package).to_string()),
            },
            Installed::Unpackaged => UpdateInstall::Download {
                url: update.download_url.to_string(),
                package: None,
            },
        }
    }
}

/// The window's update state: the update the last check found, until it is installed.
#[derive(Default)]
pub struct Updates {
    found: Mutex<Option<Update>>,
    installed: OnceLock<Installed>,
    /// Replaces tauri.conf.json's public key: tests sign with a key pair made for the test.
    pubkey: Option<String>,
}

impl Updates {
    /// The end-to-end build reads a test's public key from `BUCKETFORGE_TEST_UPDATE_PUBKEY`.
    /// A release has no such hook: only the key in tauri.conf.json is trusted.
    #[cfg(feature = "test-hooks")]
    pub fn from_env() -> Self {
        Self {
            pubkey: std::env::var("BUCKETFORGE_TEST_UPDATE_PUBKEY").ok(),
            ..Self::default()
        }
    }

    #[cfg(not(feature = "test-hooks"))]
    pub fn from_env() -> Self {
        Self::default()
    }

    /// An app installed as `installed` that trusts `pubkey`: for tests.
    #[cfg(feature = "test-hooks")]
    pub fn for_tests(installed: Installed, pubkey: String) -> Self {
        Self {
            installed: OnceLock::from(installed),
            pubkey: Some(pubkey),
            ..Self::default()
        }
    }

    fn installed<R: Runtime>(&self, app: &AppHandle<R>) -> &Installed {
        self.installed.get_or_init(|| Installed::detect(app))
    }

    fn found(&self) -> MutexGuard<'_, Option<Update>> {
        self.found
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// BucketForge's own update address: the first endpoint in tauri.conf.json.
fn default_address<R: Runtime>(app: &AppHandle<R>) -> String {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|updater| updater.get("endpoints"))
        .and_then(|endpoints| endpoints.get(0))
        .and_then(|first| first.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Reads the update description at `address` (empty: BucketForge's own) and keeps what it
/// announces for [`install`].
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    updates: &Updates,
    address: &str,
) -> Result<UpdateCheck> {
    let url = update_address(address, &default_address(app))?;
    let installed = updates.installed(app);
    let mut builder = app.updater_builder().timeout(CHECK_TIMEOUT);
    if let Installed::InPlace {
        executable: Some(path),
    } = installed
    {
        builder = builder.executable_path(path);
    }
    if let Some(pubkey) = &updates.pubkey {
        builder = builder.pubkey(pubkey.clone());
    }
    let updater = builder
        .endpoints(vec![url.clone()])
        .and_then(|builder| builder.build())
        .map_err(|e| unreadable(&url, e.to_string()))?;
    let found = updater.check().await.map_err(|e| check_error(&url, e))?;
    let available = found.as_ref().map(|update| AvailableUpdate {
        version: update.version.clone(),
        notes: update.body.clone().filter(|notes| !notes.trim().is_empty()),
        published: update.date.and_then(|date| {
            date.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
        install: installed.install_way(update),
    });
    *updates.found() = found;
    Ok(UpdateCheck {
        current_version: app.package_info().version.to_string(),
        address: url.to_string(),
        available,
    })
}

/// Downloads the version the last check found, checks its signature and installs it in place;
/// returns the version installed, which runs from the next start. The running app is not
/// touched when anything fails.
pub async fn install<R: Runtime>(
    app: &AppHandle<R>,
    updates: &Updates,
    mut progress: impl FnMut(UpdateProgress) + Send,
) -> Result<String> {
    let Some(update) = updates.found().clone() else {
        return Err(Error::UpdateNotChecked);
    };
    let version = update.version.clone();
    match updates.installed(app) {
        Installed::InPlace { .. } => {}
        Installed::Package(package) => {
            return Err(Error::UpdateInstallFailed {
                version,
                detail: format!(
                    "this copy was installed from a .{package} package, which only the system's package manager may replace: download the new installer and open it"
                ),
            })
        }
        Installed::Unpackaged => {
            return Err(Error::UpdateInstallFailed {
                version,
                detail: "this copy was not installed from an installer, so it has nothing to replace itself with: download the new installer and open it".into(),
            })
        }
    }
    let mut downloaded = 0u64;
    let mut reported = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                if downloaded - reported >= PROGRESS_STEP || Some(downloaded) == total {
                    reported = downloaded;
                    progress(UpdateProgress { downloaded, total });
                }
            },
            || {},
        )
        .await
        .map_err(|e| install_error(&version, e))?;
    // `download` has checked the signature; `install` checks it again before it replaces
    // anything, on a thread that may block on the disk.
    tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await
        .map_err(|e| Error::UpdateInstallFailed {
            version: version.clone(),
            detail: e.to_string(),
        })?
        .map_err(|e| install_error(&version, e))?;
    *updates.found() = None;
    Ok(version)
}

fn unreadable(url: &Url, detail: String) -> Error {
    Error::UpdateUnreadable {
        address: url.to_string(),
        detail,
    }
}

/// What went wrong reading the update description, said for people.
fn check_error(url: &Url, e: tauri_plugin_updater::Error) -> Error {
    use tauri_plugin_updater::Error as E;
    match e {
        E::Reqwest(e) if e.is_decode() => unreadable(url, "it is not valid JSON".into()),
        E::Reqwest(e) => Error::UpdateUnreachable {
            address: url.to_string(),
            detail: if e.is_timeout() {
                format!("no answer within {} seconds", CHECK_TIMEOUT.as_secs())
            } else if e.is_connect() {
                "no connection could be made".into()
            } else {
                "the connection failed".into()
            },
        },
        E::Network(detail) => Error::UpdateUnreachable {
            address: url.to_string(),
            detail,
        },
        E::ReleaseNotFound => unreadable(url, "there is no update description there".into()),
        E::Serialization(e) => unreadable(url, format!("it does not describe a release: {e}")),
        E::Semver(e) => unreadable(url, format!("its version is not a version number: {e}")),
        E::TargetNotFound(target) => unreadable(url, format!("it has no download for {target}")),
        E::TargetsNotFound(targets) => unreadable(
            url,
            format!("it has no download for {}", targets.join(" or ")),
        ),
        e => unreadable(url, e.to_string()),
    }
}

/// What went wrong downloading or installing `version`, said for people.
fn install_error(version: &str, e: tauri_plugin_updater::Error) -> Error {
    use tauri_plugin_updater::Error as E;
    let signature = |detail: String| Error::UpdateSignatureInvalid {
        version: version.to_string(),
        detail,
    };
    let failed = |detail: String| Error::UpdateInstallFailed {
        version: version.to_string(),
        detail,
    };
    match e {
        E::Minisign(_) => signature("the signature does not match the file".into()),
        E::Base64(_) | E::SignatureUtf8(_) => signature("the signature can't be read".into()),
        E::SignedVersionMismatch { signed, .. } => {
            signature(format!("the file was signed as version {signed}"))
        }
        E::MissingSignedVersion => signature("the signature names no version".into()),
        E::Reqwest(_) | E::Network(_) => failed(format!("the download stopped: {e}")),
        E::InvalidUpdaterFormat => failed("the download is not an AppImage".into()),
        E::BinaryNotFoundInArchive => failed("the download holds no AppImage".into()),
        e => failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_macos_copies_update_in_place() {
        for bundle in [None, Some(BundleType::Msi), Some(BundleType::Nsis)] {
            assert_eq!(
                Installed::from_parts(bundle, None, false),
                Installed::InPlace { executable: None }
            );
        }
    }

    #[test]
    fn a_package_is_left_to_its_package_manager_even_when_run_as_an_appimage_says() {
        let appimage = Some(PathBuf::from("/tmp/BucketForge.AppImage"));
        assert_eq!(
            Installed::from_parts(Some(BundleType::Deb), appimage.clone(), true),
            Installed::Package("deb")
        );
        assert_eq!(
            Installed::from_parts(Some(BundleType::Rpm), None, true),
            Installed::Package("rpm")
        );
    }

    #[test]
    fn an_appimage_is_replaced_where_it_lies_and_a_loose_binary_is_not_touched() {
        let appimage = PathBuf::from("/home/ann/Apps/BucketForge.AppImage");
        for bundle in [Some(BundleType::AppImage), None] {
            assert_eq!(
                Installed::from_parts(bundle, Some(appimage.clone()), true),
                Installed::InPlace {
                    executable: Some(appimage.clone())
                }
            );
        }
        assert_eq!(
            Installed::from_parts(None, None, true),
            Installed::Unpackaged
        );
        assert_eq!(
            Installed::from_parts(Some(BundleType::AppImage), None, true),
            Installed::Unpackaged
        );
    }
}
