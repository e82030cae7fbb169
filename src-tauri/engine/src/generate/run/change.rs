//! A change to a complete project: `TASK: change` for a change plan, then only the files it
//! names edited, written or deleted, with a generation's validation, repair, continuation and
//! cross-file check, and a new revision recorded. A change that fails or is cancelled puts the
//! files it touched back as the revision it started from; one whose process died is put back
//! by Resume.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::{
    emit_end, prompts, sha256_hex, Edits, EventSink, FilesOutcome, GenerationEvent, Generator, Run,
    Scope,
};
use crate::change::history::{base_revision, put_back, read_changeable};
use crate::change::{asks_for_removal, parse_change_plan, ChangeAction, ChangePlan};
use crate::plan::Plan;
use crate::store::lease::{rfc3339, Lease};
use crate::store::manifest::Timings;
use crate::store::{
    ETag, Manifest, ManifestFile, ManifestPrecondition, PendingChange, ProjectKey, ProjectPath,
    ProjectStatus, RevisionKind, TokenUsage,
};
use crate::sync::lock;
use crate::{Error, Result};

impl Generator {
    /// Changes a complete project as `request` asks. Returns the manifest naming the new
    /// revision; on failure or cancel the files are as the revision before.
    #[tracing::instrument(name = "change", skip_all, fields(
        user = %key.user(), slug = %key.slug(), provider = %self.provider, model = %self.model,
    ))]
    pub async fn change(
        &self,
        key: ProjectKey,
        request: &str,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let started = Instant::now();
        let started_at = rfc3339(SystemTime::now());
        tracing::info!("change started");
        events(GenerationEvent::Planning {});
        let slug = key.slug().to_string();
        let ended = |e: &Error| emit_end(&events, &slug, e, &[], &cancel);
        let request = request.trim();
        if request.is_empty() {
            let e = Error::InvalidSettings {
                reason: "describe the change you want first".into(),
            };
            ended(&e);
            return Err(e);
        }
        let (manifest, etag) = read_changeable(&self.store, &key)
            .await
            .inspect_err(ended)?;
        let parent = base_revision(&self.store, &key, &manifest)
            .await
            .inspect_err(ended)?;
        let (texts, landed) = self.read_live(&key, &manifest).await.inspect_err(ended)?;
        let usage = Mutex::new(manifest.usage.clone());
        let system = prompts::system(manifest.plan.stack);
        let change = self
            .change_plan(
                request,
                &manifest.plan,
                &texts,
                &system,
                &usage,
                &events,
                &cancel,
            )
            .await
            .inspect_err(ended)?;
        let named: BTreeSet<String> = change.files.iter().map(|f| f.path.clone()).collect();

        // Claim the project: a second device changing it now gets a conflict, not a mix.
        let mut base = manifest.clone();
        base.status = ProjectStatus::Generating;
        base.error = None;
        base.revision += 1;
        base.lease = Some(Lease::new(&self.settings.owner, self.settings.lease_ttl));
        base.plan = change.apply_to(&manifest.plan);
        base.usage = lock(&usage).clone();
        base.current_revision = Some(parent.number);
        base.change = Some(PendingChange {
            base: parent.number,
            kind: RevisionKind::Changed,
            request: request.to_string(),
            paths: named.iter().cloned().collect(),
        });
        let claim = self
            .store
            .write_manifest(&key, &base, ManifestPrecondition::MustMatch(etag))
            .await
            .inspect_err(ended)?;

        let modified: BTreeMap<String, String> = change
            .files
            .iter()
            .filter(|f| f.action == ChangeAction::Modify)
            .filter_map(|f| texts.get(&f.path).map(|t| (f.path.clone(), t.clone())))
            .collect();
        let removal: BTreeSet<String> = change
            .files
            .iter()
            .filter(|f| asks_for_removal(request) || asks_for_removal(&f.purpose))
            .map(|f| f.path.clone())
            .collect();
        let scope = Scope {
            keep_first: landed
                .iter()
                .filter(|f| named.contains(f.path.as_str()))
                .map(|f| (f.path.to_string(), f.sha256.clone()))
                .collect(),
            edits: Some(Edits {
                request: request.to_string(),
                summary: change.summary.clone(),
                originals: modified,
                removal,
            }),
            editable: Some(change.written().map(|f| f.path.clone()).collect()),
            kind: Some(RevisionKind::Changed),
            request: Some(request.to_string()),
            parent: Some(parent),
            texts_before: texts.clone(),
            summary: Some(change.summary.clone()),
            usage_before: Some(manifest.usage.clone()),
        };
        let run = self.run(key, base, claim, system, events, usage, &cancel, scope);
        *lock(&run.texts) = texts;
        *lock(&run.record.landed) = landed;
        run.emit(GenerationEvent::Planned {
            slug: slug.clone(),
            name: run.plan.name.clone(),
            summary: change.summary.clone(),
            files: named.iter().cloned().collect(),
        });
        let _heartbeat = run.start_heartbeat();
        let outcome = run.apply_change(&change).await;
        let outcome = run
            .check_fit(outcome, self.settings.max_fit_rounds, false)
            .await;
        run.finish_change(outcome, &cancel, started, started_at)
            .await
    }

    /// Every live file's text, and the manifest's entries with the hash of what is really in
    /// the bucket (the version a change keeps before replacing it).
    async fn read_live(
        &self,
        key: &ProjectKey,
        manifest: &Manifest,
    ) -> Result<(BTreeMap<String, String>, Vec<ManifestFile>)> {
        let mut texts = BTreeMap::new();
        let mut landed = Vec::new();
        for file in &manifest.files {
            let stored = self.store.get_file(key, &file.path).await?;
            let sha256 = sha256_hex(&stored.bytes);
            if sha256 != file.sha256 {
                tracing::warn!(path = %file.path, "the file in the bucket differs from the record; the change starts from what is there");
            }
            if let Ok(text) = String::from_utf8(stored.bytes.to_vec()) {
                texts.insert(file.path.to_string(), text);
            }
            landed.push(ManifestFile {
                bytes: stored.bytes.len() as u64,
                sha256,
                ..file.clone()
            });
        }
        Ok((texts, landed))
    }

    /// Asks for the change plan, and once more with the reasons if it can't be used.
    #[allow(clippy::too_many_arguments)]
    async fn change_plan(
        &self,
        request: &str,
        plan: &Plan,
        texts: &BTreeMap<String, String>,
        system: &str,
        usage: &Mutex<TokenUsage>,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<ChangePlan> {
        let live: BTreeSet<String> = texts.keys().cloned().collect();
        let first = prompts::change(request, plan, texts);
        let parse = |answer: &str| parse_change_plan(answer, plan, &live);
        self.ask_json(
            first,
            system,
            usage,
            events,
            cancel,
            parse,
            prompts::change_repair,
        )
        .await?
        .map_err(|problems| Error::ChangePlanInvalid { problems })
    }

    /// Puts a project whose change never finished (its process died) back as the revision
    /// the change started from, and records that it is complete there.
    pub(super) async fn undo_interrupted(
        &self,
        key: ProjectKey,
        manifest: Manifest,
        etag: ETag,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let slug = key.slug().to_string();
        let ended = |e: &Error| emit_end(&events, &slug, e, &[], &cancel);
        let Some(change) = manifest.change.clone() else {
            return Ok(manifest);
        };
        tracing::info!(base = change.base, "putting back an unfinished change");
        // Claim it first, so two devices never put it back at once.
        let mut claimed = manifest.clone();
        claimed.status = ProjectStatus::Generating;
        claimed.revision += 1;
        claimed.lease = Some(Lease::new(&self.settings.owner, self.settings.lease_ttl));
        let etag = self
            .store
            .write_manifest(&key, &claimed, ManifestPrecondition::MustMatch(etag))
            .await
            .inspect_err(ended)?;
        let parent = self
            .store
            .read_revision(&key, change.base)
            .await
            .inspect_err(ended)?;
        let paths: BTreeSet<String> = change.paths.iter().cloned().collect();
        put_back(&self.store, &key, &parent, &paths)
            .await
            .inspect_err(ended)?;
        let back = settled(&claimed, &parent, claimed.revision + 1);
        let manifest = back.clone();
        self.store
            .write_manifest(&key, &back, ManifestPrecondition::MustMatch(etag))
            .await
            .inspect_err(ended)?;
        events(GenerationEvent::Finished {
            slug,
            files: manifest.files.len() as u32,
            tokens: 0,
            cost_usd: None,
            elapsed_ms: 0,
        });
        Ok(manifest)
    }
}

/// `manifest` back at `parent`: its files, plan and number, complete, with nothing pending.
fn settled(manifest: &Manifest, parent: &crate::store::Revision, revision: u64) -> Manifest {
    let mut back = manifest.clone();
    back.status = ProjectStatus::Complete;
    back.files = parent.manifest_files();
    back.plan = parent.plan.clone();
    back.current_revision = Some(parent.number);
    back.change = None;
    back.lease = None;
    back.error = None;
    back.revision = revision;
    back
}

impl Run {
    /// Writes the files the change plan adds or modifies (in parallel, the files others import
    /// first), then deletes the ones it removes, each kept under `objects/` first.
    async fn apply_change(self: &Arc<Self>, change: &ChangePlan) -> FilesOutcome {
        let todo = change.written().map(|f| self.planned(&f.path)).collect();
        let outcome = self.write_files(todo, Vec::new()).await;
        if outcome.error.is_some() || self.stop.is_cancelled() {
            return outcome;
        }
        for file in change
            .files
            .iter()
            .filter(|f| f.action == ChangeAction::Delete)
        {
            if let Err(e) = self.remove(&file.path).await {
                self.emit(GenerationEvent::FileFailed {
                    path: file.path.clone(),
                    error: e.to_report(),
                });
                return FilesOutcome { error: Some(e) };
            }
        }
        outcome
    }

    async fn remove(&self, path: &str) -> Result<()> {
        let path = ProjectPath::new(path)?;
        self.keep_before_replacing(&path).await?;
        self.store.delete_file(&self.key, &path).await?;
        lock(&self.record.landed).retain(|f| f.path != path);
        lock(&self.texts).remove(path.as_str());
        self.emit(GenerationEvent::FileRemoved {
            path: path.to_string(),
        });
        self.record.changed.notify_one();
        Ok(())
    }

    /// Ends a change: a new revision when it completed; otherwise the files it touched put
    /// back as the revision it started from, and the project complete there.
    pub(super) async fn finish_change(
        &self,
        outcome: FilesOutcome,
        cancel: &CancellationToken,
        started: Instant,
        started_at: String,
    ) -> Result<Manifest> {
        let mut outcome = outcome;
        if outcome.error.is_none() && !cancel.is_cancelled() {
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match self.record_revision(elapsed_ms).await {
                Ok(()) => return self.finish(outcome, cancel, started, started_at).await,
                Err(e) => outcome.error = Some(e),
            }
        }
        let error = outcome.error.unwrap_or(Error::Cancelled);
        let slug = self.key.slug().to_string();
        let Some(parent) = lock(&self.history).parent.clone() else {
            return self
                .finish(
                    FilesOutcome { error: Some(error) },
                    cancel,
                    started,
                    started_at,
                )
                .await;
        };
        let paths: BTreeSet<String> = self
            .record
            .base
            .change
            .as_ref()
            .map(|c| c.paths.iter().cloned().collect())
            .unwrap_or_default();
        let put = put_back(&self.store, &self.key, &parent, &paths).await;
        let timings = Timings {
            started_at,
            finished_at: Some(rfc3339(SystemTime::now())),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        match put {
            Ok(()) => {
                let mut back = settled(&self.record.base, &parent, 0);
                back.usage = lock(&self.usage).clone();
                back.timings = timings;
                let mut state = self.record.state.lock().await;
                if let Err(e) = self.write_record(&mut state, back, true).await {
                    tracing::warn!(error = %e, "the change was put back but could not be recorded; Resume records it");
                }
                tracing::info!(
                    base = parent.number,
                    "change undone; the project is as it was"
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "the change could not be put back; Resume puts it back");
                let _ = self
                    .save_final(ProjectStatus::Failed, Some(error.to_string()), timings)
                    .await;
            }
        }
        let landed: Vec<String> = parent.files.iter().map(|f| f.path.to_string()).collect();
        emit_end(&self.events, &slug, &error, &landed, cancel);
        Err(error)
    }
}
