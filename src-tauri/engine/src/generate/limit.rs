//! How many file requests may run at once: halves when the provider rate-limits, and climbs
//! back one step per file that goes through without one.

use crate::sync::lock;
use std::sync::Mutex;

use tokio::sync::Notify;

#[derive(Debug)]
pub struct ConcurrencyLimit {
    max: usize,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    active: usize,
}

/// One running request's place; dropping it frees the place.
#[derive(Debug)]
pub struct Slot<'a> {
    owner: &'a ConcurrencyLimit,
}

impl ConcurrencyLimit {
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            max,
            state: Mutex::new(State {
                limit: max,
                active: 0,
            }),
            changed: Notify::new(),
        }
    }

    /// Waits until fewer requests than the current limit are running.
    pub async fn acquire(&self) -> Slot<'_> {
        loop {
            // Registered before checking, so a release in between is not missed.
            let notified = self.changed.notified();
            {
                let mut state = lock(&self.state);
                if state.active < state.limit {
                    state.active += 1;
                    return Slot { owner: self };
                }
            }
            notified.await;
        }
    }

    /// The provider said "too many requests": run half as many. Returns the new limit.
    pub fn back_off(&self) -> usize {
        let mut state = lock(&self.state);
        state.limit = (state.limit / 2).max(1);
        state.limit
    }

    /// A request went through: allow one more, up to the configured maximum.
    pub fn recover(&self) {
        let mut state = lock(&self.state);
        if state.limit < self.max {
            state.limit += 1;
            drop(state);
            self.changed.notify_waiters();
        }
    }

    pub fn current(&self) -> usize {
        lock(&self.state).limit
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        lock(&self.owner.state).active -= 1;
        self.owner.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn never_runs_more_than_the_limit_at_once() {
        let limit = Arc::new(ConcurrencyLimit::new(3));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (limit, running, peak) = (limit.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    let _slot = limit.acquire().await;
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn halves_on_rate_limits_and_recovers_one_step_at_a_time() {
        let limit = ConcurrencyLimit::new(6);
        assert_eq!(limit.back_off(), 3);
        assert_eq!(limit.back_off(), 1);
        assert_eq!(limit.back_off(), 1);
        limit.recover();
        limit.recover();
        assert_eq!(limit.current(), 3);
        for _ in 0..10 {
            limit.recover();
        }
        assert_eq!(limit.current(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lowered_limit_holds_back_new_requests_until_running_ones_end() {
        let limit = Arc::new(ConcurrencyLimit::new(2));
        let a = limit.acquire().await;
        let _b = limit.acquire().await;
        limit.back_off();
        drop(a);
        // One is still running and the limit is now 1: a third must wait.
        let waiting = tokio::time::timeout(Duration::from_millis(50), limit.acquire()).await;
        assert!(waiting.is_err());
    }
}
