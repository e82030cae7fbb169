//! The runs going on: start, resume, cancel, and stopping them all when the app quits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use ts_rs::TS;

use super::registry::{RunEntry, RunInfo};
use super::Session;
use crate::generate::{EventSink, Generator, NewProject};
use crate::plan::Stack;
use crate::store::{slugify, Manifest, ProjectKey};
use crate::sync::lock;
use crate::{Error, Result};

/// What the user asks to generate.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct GenerateRequest {
    pub idea: String,
    pub name: Option<String>,
    pub stack: Stack,
}

impl Session {
    // ---- runs ----

    fn register_run(&self, info_idea: &str, slug: Option<String>) -> (String, CancellationToken) {
        let id = self
            .next_run
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let run_id = format!("run-{id}");
        let cancel = CancellationToken::new();
        lock(&self.runs).insert(
            run_id.clone(),
            RunEntry {
                cancel: cancel.clone(),
                info: RunInfo {
                    run_id: run_id.clone(),
                    slug,
                    idea: info_idea.to_string(),
                },
            },
        );
        (run_id, cancel)
    }

    /// Wraps `events` so the run registry learns the slug and forgets the run when it ends.
    fn tracking(self: &Arc<Self>, run_id: &str, events: EventSink) -> EventSink {
        let session = Arc::downgrade(self);
        let run_id = run_id.to_string();
        Arc::new(move |event| {
            if let Some(session) = session.upgrade() {
                let mut runs = lock(&session.runs);
                if let crate::generate::GenerationEvent::Planned { slug, .. } = &event {
                    if let Some(entry) = runs.get_mut(&run_id) {
                        entry.info.slug = Some(slug.clone());
                    }
                }
                if event.is_final() {
                    runs.remove(&run_id);
                }
            }
            events(event);
        })
    }

    /// Checks a request and readies its generator: the same checks for the window's runs and
    /// the command line's.
    async fn prepare_generation(
        &self,
        request: GenerateRequest,
    ) -> Result<(Generator, NewProject)> {
        let idea = request.idea.trim().to_string();
        if idea.is_empty() {
            return Err(Error::InvalidSettings {
                reason: "describe the app you want first".into(),
            });
        }
        let name = request
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(name) = &name {
            slugify(name)?;
        }
        let generator = self.generator().await?;
        let project = NewProject {
            idea,
            name,
            user: self.user()?,
            stack: request.stack,
        };
        Ok((generator, project))
    }

    /// Generates a project here and now (the command line's way); events arrive on `events`.
    pub async fn generate(
        &self,
        request: GenerateRequest,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let (generator, project) = self.prepare_generation(request).await?;
        generator.generate(project, cancel, events).await
    }

    /// Finishes a failed, cancelled or interrupted project here and now.
    pub async fn resume(
        &self,
        slug: &str,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let key = self.project_key(slug)?;
        let generator = self.generator().await?;
        generator.resume(key, cancel, events).await
    }

    /// One more round of targeted repairs for files that don't fit together, here and now.
    pub async fn refit(
        &self,
        slug: &str,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let key = self.project_key(slug)?;
        let generator = self.generator().await?;
        generator.refit(key, cancel, events).await
    }

    /// Starts generating in the background; events arrive on `events` until a final one.
    pub async fn start_generation(
        self: &Arc<Self>,
        request: GenerateRequest,
        events: EventSink,
    ) -> Result<String> {
        let (generator, project) = self.prepare_generation(request).await?;
        let (run_id, cancel) = self.register_run(&project.idea, None);
        let events = self.tracking(&run_id, events);
        spawn_run(&run_id, events, "", move |events| async move {
            generator.generate(project, cancel, events).await
        });
        Ok(run_id)
    }

    /// Resumes a failed or cancelled project in the background.
    pub async fn start_resume(self: &Arc<Self>, slug: &str, events: EventSink) -> Result<String> {
        self.start_on_project(slug, events, |generator, key, cancel, events| async move {
            generator.resume(key, cancel, events).await
        })
        .await
    }

    /// Starts one more round of targeted repairs (Fix with AI) in the background.
    pub async fn start_refit(self: &Arc<Self>, slug: &str, events: EventSink) -> Result<String> {
        self.start_on_project(slug, events, |generator, key, cancel, events| async move {
            generator.refit(key, cancel, events).await
        })
        .await
    }

    /// Starts `run` on an existing project in the background.
    pub(super) async fn start_on_project<F, Fut>(
        self: &Arc<Self>,
        slug: &str,
        events: EventSink,
        run: F,
    ) -> Result<String>
    where
        F: FnOnce(Generator, ProjectKey, CancellationToken, EventSink) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Manifest>> + Send + 'static,
    {
        let key = self.project_key(slug)?;
        let generator = self.generator().await?;
        let (run_id, cancel) = self.register_run("", Some(key.slug().to_string()));
        let events = self.tracking(&run_id, events);
        let slug = key.slug().to_string();
        spawn_run(&run_id, events, &slug, move |events| {
            run(generator, key, cancel, events)
        });
        Ok(run_id)
    }

    /// Cancels every run and waits (up to `patience`) for each to record how it ended, so
    /// quitting never leaves a project marked as still generating.
    pub async fn shutdown(&self, patience: Duration) {
        let tokens: Vec<CancellationToken> = lock(&self.runs)
            .values()
            .map(|entry| entry.cancel.clone())
            .collect();
        for token in &tokens {
            token.cancel();
        }
        let deadline = Instant::now() + patience;
        while !lock(&self.runs).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Cancels a run; cancelling one that already ended is not an error.
    pub fn cancel(&self, run_id: &str) {
        if let Some(entry) = lock(&self.runs).get(run_id) {
            entry.cancel.cancel();
        }
    }

    pub fn active_runs(&self) -> Vec<RunInfo> {
        let mut runs: Vec<RunInfo> = lock(&self.runs).values().map(|r| r.info.clone()).collect();
        runs.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        runs
    }
}

/// Runs a generation in the background, its log lines under the run's ID. A panic inside it
/// still ends the run with a final event, so the window never waits for ever on a run that
/// died.
fn spawn_run<F, Fut>(run_id: &str, events: EventSink, slug: &str, run: F)
where
    F: FnOnce(EventSink) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Manifest>> + Send + 'static,
{
    let slug = slug.to_string();
    let span = tracing::info_span!("run", run_id = %run_id);
    let task = async move {
        let outcome = std::panic::AssertUnwindSafe(run(Arc::clone(&events)))
            .catch_unwind()
            .await;
        // Ok: the outcome already reached the caller through the run's final event.
        if outcome.is_err() {
            tracing::error!("the run stopped unexpectedly");
            let error = Error::Internal {
                what: "generating the project".into(),
            };
            events(crate::generate::GenerationEvent::Failed {
                slug,
                error: error.to_report(),
                landed: Vec::new(),
            });
        }
    };
    tokio::spawn(task.instrument(span));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::super::projects::tests::{held, seed};
    use super::super::testing::window;
    use super::*;
    use crate::generate::GenerationEvent;
    use crate::llm::ProviderKind;
    use crate::settings::{LlmSettings, Settings};

    fn planned(slug: &str) -> GenerationEvent {
        GenerationEvent::Planned {
            slug: slug.into(),
            name: slug.into(),
            summary: String::new(),
            files: Vec::new(),
        }
    }

    fn cancelled(slug: &str) -> GenerationEvent {
        GenerationEvent::Cancelled {
            slug: slug.into(),
            landed: Vec::new(),
        }
    }

    /// A local model server: it needs no key, and nothing is ever sent to it here.
    fn local_model() -> Settings {
        Settings {
            llm: LlmSettings {
                provider: ProviderKind::Ollama,
                model: "qwen2.5-coder".into(),
                base_url: "http://127.0.0.1:9/v1".into(),
            },
            ..Settings::default()
        }
    }

    /// A sink that keeps every event, and the events it kept.
    fn recorder() -> (EventSink, Arc<Mutex<Vec<GenerationEvent>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&seen);
        (Arc::new(move |e| lock(&keep).push(e)), seen)
    }

    #[tokio::test]
    async fn an_empty_idea_is_refused_before_a_run_starts() {
        let dir = tempfile::tempdir().unwrap();
        let session = Arc::new(window(dir.path()));
        let (sink, seen) = recorder();
        let request = GenerateRequest {
            idea: "  \n ".into(),
            name: None,
            stack: Stack::React,
        };
        let err = session.start_generation(request, sink).await.unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
        assert!(session.active_runs().is_empty());
        assert!(lock(&seen).is_empty());
    }

    #[test]
    fn a_run_learns_its_slug_when_planned_and_leaves_the_registry_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let session = Arc::new(window(dir.path()));
        let (run_id, cancel) = session.register_run("a todo app", None);
        let (sink, seen) = recorder();
        let events = session.tracking(&run_id, sink);
        assert_eq!(session.active_runs()[0].slug, None);
        events(planned("todo"));
        assert_eq!(session.active_runs()[0].slug.as_deref(), Some("todo"));
        assert_eq!(session.active_runs()[0].idea, "a todo app");
        session.cancel(&run_id);
        assert!(cancel.is_cancelled());
        events(cancelled("todo"));
        assert!(session.active_runs().is_empty());
        // Cancelling a run that already ended is not an error.
        session.cancel(&run_id);
        assert_eq!(lock(&seen).len(), 2, "every event reached the caller");
    }

    #[test]
    fn runs_get_distinct_ids_and_are_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let (first, _) = session.register_run("one", None);
        let (second, _) = session.register_run("two", Some("two".into()));
        assert_ne!(first, second);
        let ids: Vec<String> = session
            .active_runs()
            .into_iter()
            .map(|r| r.run_id)
            .collect();
        assert_eq!(ids, [first, second]);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cancels_every_run_and_waits_for_each_to_record_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let session = Arc::new(window(dir.path()));
        for slug in ["one", "two"] {
            let (run_id, cancel) = session.register_run(slug, Some(slug.into()));
            let (sink, _) = recorder();
            let events = session.tracking(&run_id, sink);
            tokio::spawn(async move {
                cancel.cancelled().await;
                // Recording the end takes a while, as a manifest write does.
                tokio::time::sleep(Duration::from_millis(300)).await;
                events(cancelled(slug));
            });
        }
        session.shutdown(Duration::from_secs(5)).await;
        assert!(
            session.active_runs().is_empty(),
            "both runs recorded their end"
        );
    }

    #[tokio::test]
    async fn a_project_a_live_run_is_writing_cannot_be_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let session = Arc::new(window(dir.path()));
        session.save_settings(local_model()).await.unwrap();
        let store = session.store().await.unwrap();
        let key = session.project_key("busy").unwrap();
        let seeded = held("busy");
        seed(&store, &key, Some(seeded.clone())).await;
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let done_tx = Mutex::new(Some(done_tx));
        let sink: EventSink = Arc::new(move |event: GenerationEvent| {
            if event.is_final() {
                if let Some(tx) = lock(&done_tx).take() {
                    let _ = tx.send(event);
                }
            }
        });
        session.start_resume("busy", sink).await.unwrap();
        match done_rx.await.unwrap() {
            GenerationEvent::Failed { error, .. } => {
                assert_eq!(serde_json::json!(error)["code"], "project_busy")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
        assert_eq!(
            manifest.lease.map(|l| l.run_id),
            seeded.lease.map(|l| l.run_id),
            "the live run still holds it"
        );
    }

    #[tokio::test]
    async fn the_command_lines_resume_is_refused_the_same_way_and_by_the_name_typed() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        session.save_settings(local_model()).await.unwrap();
        let store = session.store().await.unwrap();
        let key = session.project_key("busy-app").unwrap();
        seed(&store, &key, Some(held("busy-app"))).await;
        let (sink, seen) = recorder();
        let err = session
            .resume("Busy App", CancellationToken::new(), sink)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "project_busy");
        assert!(lock(&seen).last().is_some_and(GenerationEvent::is_final));
        // An empty idea is refused before any model is asked.
        let request = GenerateRequest {
            idea: String::new(),
            name: None,
            stack: Stack::React,
        };
        let (sink, _) = recorder();
        let err = session
            .generate(request, CancellationToken::new(), sink)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
    }
}
