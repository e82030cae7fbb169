//! Locks that survive a panic elsewhere: the engine never lets one poisoned lock take a run down.

use std::sync::{Mutex, MutexGuard};

/// The data behind `mutex`, also after a panic poisoned it. Every value the engine keeps behind
/// a std mutex is whole between statements, so what a panicking thread left is still valid.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
