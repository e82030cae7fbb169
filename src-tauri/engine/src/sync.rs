//! Locks that survive a panic elsewhere: the engine never lets one poisoned lock take a run down.
//! And a thread with room for deep recursion, for the parsers.

use std::sync::{Mutex, MutexGuard};

/// The data behind `mutex`, also after a panic poisoned it. Every value the engine keeps behind
/// a std mutex is whole between statements, so what a panicking thread left is still valid.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The stack parsers run on: oxc and the Ruff parser recurse once per nesting level (`- - - … 1`,
/// `((((…))))`), so an answer nested a few thousand levels deep would overflow a worker thread's
/// stack and abort the whole app. This much room holds the deepest nesting a file of the largest
/// size the engine accepts can hold; only the pages used are ever committed.
const DEEP_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Runs `work` on a thread of its own with a deep stack, and waits for it. Where no such thread
/// can be had, it runs here. A panic inside `work` is passed on to the caller.
pub(crate) fn on_deep_stack<T: Send>(work: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("bucketforge-parse".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, &work);
        match spawned {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => work(),
        }
    })
}
