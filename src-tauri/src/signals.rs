//! The signals that ask BucketForge to stop: Ctrl-C, `kill` (SIGTERM), a closed terminal or
//! a logout (SIGHUP). The window and the CLI treat them alike: cancel, record, then quit.

/// Waits for the next stop signal; `false` when none can be listened for.
#[cfg(unix)]
pub async fn stop_signal() -> bool {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return tokio::signal::ctrl_c().await.is_ok();
    };
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.is_ok(),
        _ = term.recv() => true,
        _ = hup.recv() => true,
    }
}

#[cfg(not(unix))]
pub async fn stop_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
