//! A run's hold on a project: who writes it, and when that writer last checked in.
//!
//! A run writes its lease into the manifest and renews it (the heartbeat) while it works. A
//! lease whose heartbeat is older than its time to live, or whose process is known to be
//! gone, is stale: another run may take the project over, so no project is ever stuck
//! "generating" after a crash, a killed process or a closed laptop.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How often a running run renews its lease.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// A lease not renewed for this long is stale: six missed heartbeats.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// Who holds a project and since when, as written in its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Lease {
    /// The run, unique per run: a takeover is told apart from our own earlier write by it.
    pub run_id: String,
    /// In words, for people: "the BucketForge window on laptop".
    pub owner: String,
    /// This computer's host name (shown) and a hash of its machine ID (compared).
    pub host: String,
    #[serde(default)]
    pub machine: Option<String>,
    pub pid: u32,
    /// RFC 3339 UTC of the last renewal.
    pub heartbeat_at: String,
    #[ts(type = "number")]
    pub ttl_secs: u64,
}

/// What a lease means to someone who wants to write the project now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseState {
    /// A run is holding it and checked in `secs_ago` seconds ago.
    Live { owner: String, secs_ago: u64 },
    /// The holder stopped checking in (or its process is gone): it may be taken over.
    Stale { owner: String, secs_ago: u64 },
}

impl Lease {
    /// A new lease for a run of this process, renewed now.
    pub fn new(role: &str, ttl: Duration) -> Self {
        let host = host_name();
        Self {
            run_id: random_run_id(),
            owner: format!("{role} on {host}"),
            host,
            machine: machine_id().map(str::to_string),
            pid: std::process::id(),
            heartbeat_at: rfc3339(SystemTime::now()),
            ttl_secs: ttl.as_secs().max(1),
        }
    }

    /// The same lease, renewed at `now`.
    pub fn renewed(&self, now: SystemTime) -> Self {
        Self {
            heartbeat_at: rfc3339(now),
            ..self.clone()
        }
    }

    /// Whether the lease still holds at `now`. A heartbeat in the future (another computer's
    /// clock runs ahead) counts as just now; an unreadable one as stale.
    pub fn state(&self, now: SystemTime) -> LeaseState {
        let owner = self.owner.clone();
        let Ok(beat) = humantime::parse_rfc3339_weak(&self.heartbeat_at) else {
            return LeaseState::Stale {
                owner,
                secs_ago: u64::MAX,
            };
        };
        let secs_ago = now.duration_since(beat).map(|d| d.as_secs()).unwrap_or(0);
        if secs_ago > self.ttl_secs || self.holder_is_gone() {
            LeaseState::Stale { owner, secs_ago }
        } else {
            LeaseState::Live { owner, secs_ago }
        }
    }

    /// True only when the holder ran on this very computer and its process has ended, so a
    /// killed run can be resumed at once instead of after the time to live.
    fn holder_is_gone(&self) -> bool {
        let Some(here) = machine_id() else {
            return false;
        };
        if self.machine.as_deref() != Some(here) {
            return false;
        }
        if self.pid == std::process::id() {
            // Our own process: the run may still be going here, so only the time to live tells.
            return false;
        }
        !process_exists(self.pid)
    }
}

/// Whether a process with this ID exists on this computer; `true` where that can't be told.
fn process_exists(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// A hash of this computer's machine ID (never the ID itself), where the system has one.
fn machine_id() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| {
        ["/etc/machine-id", "/var/lib/dbus/machine-id"]
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .map(|id| hex::encode(&Sha256::digest(id.as_bytes())[..8]))
    })
    .as_deref()
}

fn host_name() -> String {
    let from_system = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    from_system
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into())
}

fn random_run_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // A clock and the process ID are unique enough to tell two runs apart.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        bytes = (nanos ^ u64::from(std::process::id()) << 32).to_le_bytes();
    }
    hex::encode(bytes)
}

pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// How long ago, for messages (the CLI's `list` shows it too).
pub use crate::spoken::spoken_age;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn lease_at(beat: u64) -> Lease {
        Lease::new("the test", Duration::from_secs(30)).renewed(at(beat))
    }

    #[test]
    fn a_lease_is_live_until_its_time_to_live_passes_without_a_heartbeat() {
        let lease = lease_at(0);
        assert!(matches!(
            lease.state(at(10)),
            LeaseState::Live { secs_ago: 10, .. }
        ));
        assert!(matches!(
            lease.state(at(31)),
            LeaseState::Stale { secs_ago: 31, .. }
        ));
        assert!(matches!(
            lease.renewed(at(25)).state(at(31)),
            LeaseState::Live { secs_ago: 6, .. }
        ));
    }

    #[test]
    fn a_heartbeat_from_a_clock_running_ahead_counts_as_now() {
        assert!(matches!(
            lease_at(100).state(at(0)),
            LeaseState::Live { secs_ago: 0, .. }
        ));
    }

    #[test]
    fn an_unreadable_heartbeat_is_stale() {
        let mut lease = lease_at(0);
        lease.heartbeat_at = "yesterday-ish".into();
        assert!(matches!(lease.state(at(0)), LeaseState::Stale { .. }));
    }

    #[test]
    fn a_lease_of_a_process_that_ended_on_this_computer_is_stale_at_once() {
        if machine_id().is_none() || !cfg!(target_os = "linux") {
            return;
        }
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let now = SystemTime::now();
        let mut lease = Lease::new("the test", Duration::from_secs(30)).renewed(now);
        lease.pid = pid;
        assert!(matches!(lease.state(now), LeaseState::Stale { .. }));
        // The same lease from another computer can't be judged by its process: it holds.
        lease.machine = Some("another-machine".into());
        assert!(matches!(lease.state(now), LeaseState::Live { .. }));
    }

    #[test]
    fn run_ids_differ_and_the_machine_id_is_never_written_in_clear() {
        let a = Lease::new("x", LEASE_TTL);
        let b = Lease::new("x", LEASE_TTL);
        assert_ne!(a.run_id, b.run_id);
        if let Ok(raw) = std::fs::read_to_string("/etc/machine-id") {
            let json = serde_json::to_string(&a).unwrap();
            assert!(!json.contains(raw.trim()), "{json}");
        }
    }
}
