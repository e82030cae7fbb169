//! Who serves a built-in bucket folder: the owner's lock, the runtime file that tells other
//! processes where the owner listens, and the per-process list of folders being served.
//!
//! One process owns a folder at a time: it holds an exclusive OS lock on the folder's lock
//! file (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::lock`). The lock
//! goes away with the process, however it ends, so a waiting process can take over even
//! after a SIGKILL. The lock file's content is the path of the runtime file, so a process
//! started with another environment (no `XDG_RUNTIME_DIR`, say) still finds it.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Weak};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// In the bucket folder, beside the bucket itself, so it names the folder it guards.
pub(crate) const LOCK_FILE: &str = ".bucketforge-owner.lock";
/// Used when `XDG_RUNTIME_DIR` is not there; the data folder is private (0700) too.
const FALLBACK_RUNTIME_FILE: &str = ".bucketforge-runtime.json";
/// A runtime file holds one short JSON object; anything longer was not written by us.
const MAX_RUNTIME_FILE_BYTES: u64 = 4096;

/// The port and credentials of the server that owns a folder: everything a client needs.
#[derive(Clone)]
pub(crate) struct Runtime {
    pub port: u16,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("port", &self.port)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .finish()
    }
}

/// The runtime file's content, and nothing else: no paths, no process details.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeFileBody {
    port: u16,
    access_key_id: String,
    secret_access_key: String,
}

/// Opens the folder's lock file (creating it, readable by this user only).
pub(crate) fn open_lock(dir: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(dir.join(LOCK_FILE))
}

/// The lock, if no other handle holds it. Each call opens its own handle, so two calls in one
/// process exclude each other just as two processes do.
pub(crate) fn try_own(dir: &Path) -> std::io::Result<Option<File>> {
    let file = open_lock(dir)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Where this process would publish the runtime file of `dir` (a canonical path): in
/// `$XDG_RUNTIME_DIR` (memory, not disk, and cleared at logout) under a name derived from the
/// folder, else in the folder itself.
pub(crate) fn preferred_runtime_file(dir: &Path) -> PathBuf {
    let name = format!(
        "local-bucket-{}.json",
        hex::encode(&Sha256::digest(dir.as_os_str().as_encoded_bytes())[..16])
    );
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|runtime| runtime.is_absolute() && runtime.is_dir())
        .and_then(|runtime| private_subdir(&runtime.join("bucketforge")).ok())
        .map(|sub| sub.join(name))
        .unwrap_or_else(|| dir.join(FALLBACK_RUNTIME_FILE))
}

/// A folder only this user can enter; an existing one that others can enter is not used.
fn private_subdir(path: &Path) -> std::io::Result<PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other("not a folder"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(std::io::Error::other("other users can enter it"));
        }
    }
    Ok(path.to_path_buf())
}

/// Writes the runtime file whole: a private temporary file renamed over the old one, so a
/// reader sees the old content or the new, and the secret is never readable by others.
pub(crate) fn write_runtime_file(path: &Path, runtime: &Runtime) -> std::io::Result<()> {
    let body = serde_json::to_vec(&RuntimeFileBody {
        port: runtime.port,
        access_key_id: runtime.access_key_id.clone(),
        secret_access_key: runtime.secret_access_key.expose_secret().to_string(),
    })
    .map_err(std::io::Error::other)?;
    let parent = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the runtime file has no folder"))?;
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
    let temp = parent.join(format!(".bucketforge-runtime.{}.tmp", hex::encode(nonce)));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(&body)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    renamed
}

/// The runtime file at `path`, if it is there, private, and well formed. A file others could
/// read (or write) is ignored: its secret can't be trusted to be ours.
pub(crate) fn read_runtime_file(path: &Path) -> Option<Runtime> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "ignoring a runtime file other users can read");
            return None;
        }
    }
    if !meta.is_file() || meta.len() > MAX_RUNTIME_FILE_BYTES {
        return None;
    }
    let mut body = Vec::new();
    file.take(MAX_RUNTIME_FILE_BYTES)
        .read_to_end(&mut body)
        .ok()?;
    let body: RuntimeFileBody = serde_json::from_slice(&body).ok()?;
    if body.port == 0 || body.access_key_id.is_empty() || body.secret_access_key.is_empty() {
        return None;
    }
    Some(Runtime {
        port: body.port,
        access_key_id: body.access_key_id,
        secret_access_key: SecretString::from(body.secret_access_key),
    })
}

/// Records where the runtime file is, in the lock file the owner holds.
pub(crate) fn record_runtime_path(lock: &File, runtime_file: &Path) -> std::io::Result<()> {
    let mut lock = lock;
    lock.set_len(0)?;
    lock.rewind()?;
    lock.write_all(runtime_file.as_os_str().as_encoded_bytes())?;
    lock.flush()
}

/// Where the owner of `dir` says its runtime file is, read from the lock file.
pub(crate) fn recorded_runtime_path(dir: &Path) -> Option<PathBuf> {
    let file = File::open(dir.join(LOCK_FILE)).ok()?;
    let mut text = String::new();
    file.take(MAX_RUNTIME_FILE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let path = PathBuf::from(text.trim_end_matches('\n'));
    path.is_absolute().then_some(path)
}

/// The runtime file the owner of `dir` published, with its path.
pub(crate) fn published_runtime(dir: &Path) -> Option<(PathBuf, Runtime)> {
    let path = recorded_runtime_path(dir)?;
    let runtime = read_runtime_file(&path)?;
    Some((path, runtime))
}

/// One folder's place in the process-wide list.
pub(crate) struct Entry<T> {
    /// The running bucket of this folder in this process, if any is alive.
    pub bucket: Weak<T>,
    /// A thread of this process is blocked on the folder's lock, waiting to take over.
    pub waiting: bool,
}

/// Folders this process serves or uses, by canonical path. Weak references: the list never
/// keeps a bucket running, it only lets a second start find the first.
pub(crate) struct Registry<T> {
    folders: Mutex<HashMap<PathBuf, Entry<T>>>,
}

impl<T> Registry<T> {
    pub fn new() -> Self {
        Self {
            folders: Mutex::new(HashMap::new()),
        }
    }

    fn folders(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Entry<T>>> {
        crate::sync::lock(&self.folders)
    }

    /// The live bucket of `dir`, if there is one.
    pub fn running(&self, dir: &Path) -> Option<std::sync::Arc<T>> {
        self.folders().get(dir).and_then(|e| e.bucket.upgrade())
    }

    /// Makes `bucket` the one for `dir`, dropping entries of buckets that are gone.
    pub fn insert(&self, dir: &Path, bucket: Weak<T>) {
        let mut folders = self.folders();
        folders.retain(|_, e| e.waiting || e.bucket.strong_count() > 0);
        folders
            .entry(dir.to_path_buf())
            .and_modify(|e| e.bucket = bucket.clone())
            .or_insert(Entry {
                bucket,
                waiting: false,
            });
    }

    /// True if the caller should start a waiting thread for `dir`; false if one already
    /// waits (it will hand the folder to whichever bucket is registered when it wakes).
    pub fn claim_waiter(&self, dir: &Path) -> bool {
        let mut folders = self.folders();
        match folders.get_mut(dir) {
            Some(entry) if entry.waiting => false,
            Some(entry) => {
                entry.waiting = true;
                true
            }
            None => {
                folders.insert(
                    dir.to_path_buf(),
                    Entry {
                        bucket: Weak::new(),
                        waiting: true,
                    },
                );
                true
            }
        }
    }

    /// Called by the waiting thread once it holds the lock: the bucket to hand it to, if any.
    pub fn waiter_woke(&self, dir: &Path) -> Option<std::sync::Arc<T>> {
        let mut folders = self.folders();
        let entry = folders.get_mut(dir)?;
        entry.waiting = false;
        entry.bucket.upgrade()
    }

    /// The waiting thread failed and is gone.
    pub fn waiter_gone(&self, dir: &Path) {
        if let Some(entry) = self.folders().get_mut(dir) {
            entry.waiting = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn runtime(port: u16) -> Runtime {
        Runtime {
            port,
            access_key_id: "BFLOCALTEST".into(),
            secret_access_key: SecretString::from("s3cr3t-never-logged".to_string()),
        }
    }

    #[test]
    fn only_one_handle_at_a_time_owns_a_folder_and_dropping_it_frees_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = try_own(dir.path())
            .unwrap()
            .expect("a free folder is owned");
        assert!(try_own(dir.path()).unwrap().is_none());
        drop(first);
        assert!(try_own(dir.path()).unwrap().is_some());
    }

    #[test]
    fn a_blocked_waiter_gets_the_lock_once_the_owner_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let owner = try_own(dir.path()).unwrap().unwrap();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let file = open_lock(&path).unwrap();
            file.lock().unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!waiter.is_finished(), "the waiter got a lock that was held");
        drop(owner);
        waiter.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_runtime_file_is_private_and_holds_only_port_and_credentials() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.json");
        write_runtime_file(&path, &runtime(4242)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut fields: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        assert_eq!(fields, ["access_key_id", "port", "secret_access_key"]);
        let back = read_runtime_file(&path).unwrap();
        assert_eq!(back.port, 4242);
        assert_eq!(
            back.secret_access_key.expose_secret(),
            "s3cr3t-never-logged"
        );
        assert!(!format!("{back:?}").contains("s3cr3t"));

        write_runtime_file(&path, &runtime(4343)).unwrap();
        assert_eq!(read_runtime_file(&path).unwrap().port, 4343);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "rt.json")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_runtime_file_others_can_read_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.json");
        write_runtime_file(&path, &runtime(4242)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_runtime_file(&path).is_none());
    }

    #[test]
    fn garbage_in_the_runtime_file_or_the_lock_file_reads_as_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.json");
        for junk in [
            &b""[..],
            b"{",
            b"{\"port\":0,\"access_key_id\":\"a\",\"secret_access_key\":\"b\"}",
            &[0xff; 5000],
        ] {
            std::fs::write(&path, junk).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            assert!(read_runtime_file(&path).is_none());
        }
        std::fs::write(dir.path().join(LOCK_FILE), "relative/path").unwrap();
        assert!(published_runtime(dir.path()).is_none());
    }

    #[test]
    fn the_lock_file_tells_other_processes_where_the_runtime_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let lock = try_own(dir.path()).unwrap().unwrap();
        let runtime_path = dir.path().join("elsewhere.json");
        write_runtime_file(&runtime_path, &runtime(5151)).unwrap();
        record_runtime_path(
            &lock,
            &dir.path().join("a-much-longer-name-written-first.json"),
        )
        .unwrap();
        record_runtime_path(&lock, &runtime_path).unwrap();
        let (path, found) = published_runtime(dir.path()).unwrap();
        assert_eq!(path, runtime_path);
        assert_eq!(found.port, 5151);
    }

    #[test]
    fn the_preferred_runtime_file_differs_per_folder() {
        let a = preferred_runtime_file(Path::new("/data/a"));
        let b = preferred_runtime_file(Path::new("/data/b"));
        assert_ne!(a, b);
        assert_eq!(a, preferred_runtime_file(Path::new("/data/a")));
    }

    #[test]
    fn the_registry_finds_live_buckets_only_and_keeps_one_waiter_per_folder() {
        let registry = Registry::<u32>::new();
        let dir = Path::new("/data/a");
        let bucket = Arc::new(7);
        registry.insert(dir, Arc::downgrade(&bucket));
        assert_eq!(registry.running(dir).as_deref(), Some(&7));
        assert!(registry.claim_waiter(dir));
        assert!(
            !registry.claim_waiter(dir),
            "a second waiter for one folder"
        );
        drop(bucket);
        assert!(registry.running(dir).is_none());
        let newer = Arc::new(8);
        registry.insert(dir, Arc::downgrade(&newer));
        assert_eq!(registry.waiter_woke(dir).as_deref(), Some(&8));
        assert!(
            registry.claim_waiter(dir),
            "the woken waiter is no longer waiting"
        );
        registry.waiter_gone(dir);
        drop(newer);
        assert!(registry.waiter_woke(dir).is_none());
    }
}
