//! Locks that survive a panic elsewhere: the engine never lets one poisoned lock take a run down.
//! And the thread with room for deep recursion that the parsers run on.

use std::sync::{Mutex, MutexGuard};

/// The data behind `mutex`, also after a panic poisoned it. Every value the engine keeps behind
/// a std mutex is whole between statements, so what a panicking thread left is still valid.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` on a thread with a deep stack: the parsers recurse once per nesting level, so an
/// answer nested a few thousand levels deep would overflow a worker's stack and abort the app.
pub(crate) use bucketforge_check::on_deep_stack;
