//! One generation run: plan, claim the project's name, write every file in parallel, validate,
//! repair, upload each the moment it is valid, and write the manifest last.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bucketforge_check::quality::{review_file, QualityReport};
use bucketforge_check::CheckReport;
use futures::FutureExt;
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::events::GenerationEvent;
use super::limit::ConcurrencyLimit;
use super::prompts;
use crate::answer::{fenced_block, file_content, join_continuation};
use crate::llm::{
    estimate_cost_for, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderKind,
    StreamEvent, Usage,
};
use crate::plan::{parse_plan, Plan, PlannedFile, Stack};
use crate::store::lease::{rfc3339, Lease, HEARTBEAT_INTERVAL, LEASE_TTL};
use crate::store::manifest::Timings;
use crate::store::{
    file_changes, sha256_hex, slugify, ETag, Manifest, ManifestFile, ManifestPrecondition,
    ObjectStore, ProjectKey, ProjectPath, ProjectStatus, Revision, RevisionKind, Slug, TokenUsage,
    UserId, REVISION_SCHEMA_VERSION,
};
use crate::sync::lock;
use crate::validate::validate;
use crate::{Error, Result};

mod change;
mod fit;

pub(crate) use fit::project_reports;

/// Receives every event of a run, in order.
pub type EventSink = Arc<dyn Fn(GenerationEvent) + Send + Sync>;

/// Knobs of a run; the defaults are what the app uses.
#[derive(Debug, Clone)]
pub struct GenerationSettings {
    /// File requests running at once, before any rate limiting.
    pub concurrency: usize,
    /// Token limit of one file answer.
    pub max_tokens: u32,
    pub plan_max_tokens: u32,
    pub temperature: Option<f32>,
    /// A file larger than this is refused rather than uploaded.
    pub max_file_bytes: usize,
    /// Repair requests after a parser rejected a file.
    pub max_repairs: u32,
    /// Continuation requests after an answer hit the token limit.
    pub max_continuations: u32,
    /// Fresh requests after a stream broke off midway.
    pub max_interruptions: u32,
    /// The least time between two progress events of one file.
    pub progress_interval: Duration,
    /// How often the run renews its lease on the project (and records the files landed).
    pub heartbeat: Duration,
    /// How long a lease holds without a heartbeat.
    pub lease_ttl: Duration,
    /// Rounds of targeted repairs after the cross-file check finds files that don't fit.
    pub max_fit_rounds: u32,
    /// Who runs it, in words, for the lease: "the BucketForge window".
    pub owner: String,
    /// Tries of the final manifest write before the run reports it could not record its end.
    pub final_write_attempts: u32,
}

impl Default for GenerationSettings {
    fn default() -> Self {
        Self {
            concurrency: crate::limits::DEFAULT_CONCURRENCY as usize,
            max_tokens: 8192,
            plan_max_tokens: 4096,
            temperature: Some(0.2),
            max_file_bytes: crate::limits::MAX_FILE_BYTES,
            max_repairs: 2,
            max_continuations: 2,
            max_interruptions: 2,
            max_fit_rounds: 2,
            progress_interval: Duration::from_millis(100),
            heartbeat: HEARTBEAT_INTERVAL,
            lease_ttl: LEASE_TTL,
            owner: "BucketForge".into(),
            final_write_attempts: 3,
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub idea: String,
    /// The user's name for the project; when absent the plan's name is used.
    pub name: Option<String>,
    pub user: UserId,
    pub stack: Stack,
}

/// Runs generations against one bucket and one model.
#[derive(Clone)]
pub struct Generator {
    store: ObjectStore,
    llm: Arc<dyn ChatProvider>,
    provider: ProviderKind,
    model: String,
    settings: GenerationSettings,
}

/// Everything the file tasks of one run share.
struct Run {
    store: ObjectStore,
    llm: Arc<dyn ChatProvider>,
    provider: ProviderKind,
    model: String,
    settings: GenerationSettings,
    key: ProjectKey,
    idea: String,
    plan: Plan,
    system: String,
    events: EventSink,
    limit: ConcurrencyLimit,
    usage: Mutex<TokenUsage>,
    /// Cancelled by the user or by the first file that fails.
    stop: CancellationToken,
    /// The project's manifest as this run holds it.
    record: Record,
    /// The text of every file in the bucket, by path, for the cross-file check.
    texts: Mutex<BTreeMap<String, String>>,
    /// What the cross-file check found last.
    fit: Mutex<Option<CheckReport>>,
    /// How the files hold to the prompts' recipes, as last reviewed.
    quality: Mutex<Option<QualityReport>>,
    /// Live files to keep under `objects/` before their first overwrite or delete: path →
    /// SHA-256 of the version in the bucket.
    keep_first: Mutex<BTreeMap<String, String>>,
    /// A change's edits: what each file it modifies was, for the checks an edit must pass.
    edits: Option<Edits>,
    /// The files a change may rewrite when the cross-file check asks (and it writes no new
    /// ones); `None` for a generation, which may rewrite any.
    editable: Option<BTreeSet<String>>,
    /// The revision this run records when it completes.
    history: Mutex<History>,
}

/// What a change asked of the files it modifies.
struct Edits {
    request: String,
    /// The change plan's summary of the whole change.
    summary: String,
    /// The content of each file before the change, by path.
    originals: BTreeMap<String, String>,
    /// Files whose edit may drop much of them: the request or the change plan asked to remove.
    removal: BTreeSet<String>,
}

/// The revision a run records when it completes, and what it is measured against.
struct History {
    kind: RevisionKind,
    request: String,
    /// The parent revision; `None` for a first generation.
    parent: Option<Revision>,
    /// The files as the parent has them, for the line counts.
    texts_before: BTreeMap<String, String>,
    usage_before: TokenUsage,
    /// What was done, for the user, when it is not the plan's summary (a change's).
    summary: Option<String>,
    /// The number recorded, once it is.
    recorded: Option<u64>,
}

/// How a run differs from a plain generation; the default is a generation.
#[derive(Default)]
struct Scope {
    keep_first: BTreeMap<String, String>,
    edits: Option<Edits>,
    editable: Option<BTreeSet<String>>,
    kind: Option<RevisionKind>,
    request: Option<String>,
    parent: Option<Revision>,
    texts_before: BTreeMap<String, String>,
    summary: Option<String>,
    /// The running total before this run's first request, when that came before the run
    /// (a change plan's); otherwise the total when the run starts.
    usage_before: Option<TokenUsage>,
}

/// The run's hold on the project's manifest: its lease, the files landed so far and the
/// manifest's current tag. Writes go one at a time, each conditional on the last one.
struct Record {
    /// What every write starts from: the plan, the idea, the lease, the timings.
    base: Manifest,
    state: tokio::sync::Mutex<RecordState>,
    landed: Mutex<Vec<ManifestFile>>,
    /// Files the plan lacked that the cross-file check asked for.
    added: Mutex<Vec<PlannedFile>>,
    /// A file landed: record it soon.
    changed: Notify,
    /// Another run took the project over; this run must not write it again.
    taken_over: std::sync::atomic::AtomicBool,
}

struct RecordState {
    etag: ETag,
    /// The revision of the manifest written last.
    revision: u64,
    /// Set by the final write: nothing is written after it.
    closed: bool,
}

/// Stops the heartbeat when the run ends, however it ends (a panic included).
struct Heartbeat {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// How the file phase ended; the files that landed are in the run's record.
struct FilesOutcome {
    error: Option<Error>,
}

impl Generator {
    pub fn new(
        store: ObjectStore,
        llm: Arc<dyn ChatProvider>,
        provider: ProviderKind,
        model: impl Into<String>,
        settings: GenerationSettings,
    ) -> Self {
        Self {
            store,
            llm,
            provider,
            model: model.into(),
            settings,
        }
    }

    /// Generates a new project. Returns its complete manifest; on failure or cancel, the
    /// manifest in the bucket says so and lists exactly the files that landed.
    #[tracing::instrument(name = "generation", skip_all, fields(
        user = %project.user, slug = tracing::field::Empty, provider = %self.provider,
        model = %self.model,
    ))]
    pub async fn generate(
        &self,
        project: NewProject,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let started = Instant::now();
        let started_at = rfc3339(SystemTime::now());
        tracing::info!(stack = ?project.stack, "generation started");
        events(GenerationEvent::Planning {});
        let usage = Mutex::new(TokenUsage::default());
        let system = prompts::system(project.stack);
        // Until the name is claimed the run has no slug, and nothing is in the bucket.
        let ended = |e: &Error| emit_end(&events, "", e, &[], &cancel);
        let plan = self
            .plan(&project, &system, &usage, &events, &cancel)
            .await
            .inspect_err(ended)?;
        let (key, claim, base) = self
            .claim(&project, &plan, &started_at, &usage)
            .await
            .inspect_err(ended)?;
        tracing::Span::current().record("slug", tracing::field::display(key.slug()));
        let run = self.run(
            key,
            base,
            claim,
            system,
            events,
            usage,
            &cancel,
            Scope::default(),
        );
        run.announce_plan();
        let todo = run.plan.files.clone();
        let _heartbeat = run.start_heartbeat();
        let outcome = run.write_files(todo, Vec::new()).await;
        let outcome = run
            .check_fit(outcome, self.settings.max_fit_rounds, false)
            .await;
        run.finish(outcome, &cancel, started, started_at).await
    }

    /// Finishes a failed, cancelled or interrupted project: keeps every file whose hash
    /// still matches the manifest, and writes only the rest. A project another run holds is
    /// left alone unless that run stopped checking in.
    #[tracing::instrument(name = "resume", skip_all, fields(
        user = %key.user(), slug = %key.slug(), provider = %self.provider, model = %self.model,
    ))]
    pub async fn resume(
        &self,
        key: ProjectKey,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        tracing::info!("resume started");
        self.take_up(key, Resumption::Resume, cancel, events).await
    }

    /// One more round of targeted repairs for a project whose files don't fit together or
    /// break a recipe in a way that breaks the app (Fix with AI): writes any planned file
    /// missing, checks the files and asks again only for those with a problem.
    #[tracing::instrument(name = "refit", skip_all, fields(
        user = %key.user(), slug = %key.slug(), provider = %self.provider, model = %self.model,
    ))]
    pub async fn refit(
        &self,
        key: ProjectKey,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        tracing::info!("refit started");
        self.take_up(key, Resumption::Refit, cancel, events).await
    }

    /// Takes a project up again where it stands: claims it, keeps the files that are in
    /// the bucket as recorded, writes the rest and checks them.
    async fn take_up(
        &self,
        key: ProjectKey,
        how: Resumption,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let started = Instant::now();
        let started_at = rfc3339(SystemTime::now());
        events(GenerationEvent::Planning {});
        let slug = key.slug().to_string();
        let ended = |e: &Error| emit_end(&events, &slug, e, &[], &cancel);
        let (manifest, etag) = self
            .store
            .read_manifest(&key)
            .await
            .and_then(|found| {
                found.ok_or_else(|| Error::ProjectNotFound {
                    user: key.user().to_string(),
                    slug: slug.clone(),
                })
            })
            .inspect_err(ended)?;
        resumable(&slug, &manifest, how).inspect_err(ended)?;
        if manifest.change.is_some() && how == Resumption::Resume {
            // A change, restore or edit that never finished: its project goes back to the
            // revision it started from.
            return self
                .undo_interrupted(key, manifest, etag, cancel, events)
                .await;
        }
        // Fix with AI on a complete project makes a revision over the one it has, keeping
        // every version it replaces; on an unfinished one it finishes the first.
        let over = match (how, manifest.status) {
            (Resumption::Refit, ProjectStatus::Complete) => Some(
                crate::change::history::base_revision(&self.store, &key, &manifest)
                    .await
                    .inspect_err(ended)?,
            ),
            _ => None,
        };
        // Claim the project for this run, so a second resume elsewhere gets a conflict.
        let mut base = manifest.clone();
        base.status = ProjectStatus::Generating;
        base.error = None;
        base.revision += 1;
        base.lease = Some(Lease::new(&self.settings.owner, self.settings.lease_ttl));
        let mut scope = Scope::default();
        if let Some(parent) = &over {
            base.current_revision = Some(parent.number);
            base.change = Some(crate::store::PendingChange {
                base: parent.number,
                kind: RevisionKind::Fixed,
                request: FIX_REQUEST.into(),
                paths: manifest.files.iter().map(|f| f.path.to_string()).collect(),
            });
            scope = Scope {
                keep_first: manifest
                    .files
                    .iter()
                    .map(|f| (f.path.to_string(), f.sha256.clone()))
                    .collect(),
                kind: Some(RevisionKind::Fixed),
                request: Some(FIX_REQUEST.into()),
                parent: Some(parent.clone()),
                summary: Some("Files that did not fit together were fixed.".into()),
                ..Scope::default()
            };
        }
        let claim = self
            .store
            .write_manifest(&key, &base, ManifestPrecondition::MustMatch(etag))
            .await
            .inspect_err(ended)?;
        let usage = Mutex::new(manifest.usage.clone());
        let system = prompts::system(manifest.plan.stack);
        let run = self.run(key, base, claim, system, events, usage, &cancel, scope);
        run.announce_plan();
        let _heartbeat = run.start_heartbeat();
        let kept = run.kept_files(&manifest.files).await;
        lock(&run.history).texts_before = lock(&run.texts).clone();
        let todo: Vec<PlannedFile> = run
            .plan
            .files
            .iter()
            .filter(|f| !kept.iter().any(|k| k.path.as_str() == f.path))
            .cloned()
            .collect();
        let outcome = run.write_files(todo, kept).await;
        let rounds = match how {
            Resumption::Resume => self.settings.max_fit_rounds,
            Resumption::Refit => 1,
        };
        let outcome = run
            .check_fit(outcome, rounds, how == Resumption::Refit)
            .await;
        if over.is_some() {
            run.finish_change(outcome, &cancel, started, started_at)
                .await
        } else {
            run.finish(outcome, &cancel, started, started_at).await
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        key: ProjectKey,
        base: Manifest,
        claim: ETag,
        system: String,
        events: EventSink,
        usage: Mutex<TokenUsage>,
        cancel: &CancellationToken,
        scope: Scope,
    ) -> Arc<Run> {
        let usage_before = scope.usage_before.unwrap_or_else(|| lock(&usage).clone());
        let request = scope.request.unwrap_or_else(|| base.idea.clone());
        Arc::new(Run {
            keep_first: Mutex::new(scope.keep_first),
            edits: scope.edits,
            editable: scope.editable,
            history: Mutex::new(History {
                kind: scope.kind.unwrap_or(RevisionKind::Generated),
                request,
                parent: scope.parent,
                texts_before: scope.texts_before,
                usage_before,
                summary: scope.summary,
                recorded: None,
            }),
            store: self.store.clone(),
            llm: self.llm.clone(),
            provider: self.provider,
            model: self.model.clone(),
            limit: ConcurrencyLimit::new(self.settings.concurrency),
            settings: self.settings.clone(),
            key,
            idea: base.idea.clone(),
            plan: base.plan.clone(),
            system,
            events,
            usage,
            stop: cancel.child_token(),
            record: Record {
                state: tokio::sync::Mutex::new(RecordState {
                    etag: claim,
                    revision: base.revision,
                    closed: false,
                }),
                base,
                landed: Mutex::new(Vec::new()),
                added: Mutex::new(Vec::new()),
                changed: Notify::new(),
                taken_over: std::sync::atomic::AtomicBool::new(false),
            },
            texts: Mutex::new(BTreeMap::new()),
            fit: Mutex::new(None),
            quality: Mutex::new(None),
        })
    }

    /// Asks for the plan, and once more with the reasons if it can't be used.
    async fn plan(
        &self,
        project: &NewProject,
        system: &str,
        usage: &Mutex<TokenUsage>,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<Plan> {
        let first = prompts::plan(&project.idea, project.name.as_deref(), project.stack);
        let parse = |answer: &str| parse_plan(answer, project.stack);
        self.ask_json(
            first,
            system,
            usage,
            events,
            cancel,
            parse,
            prompts::plan_repair,
        )
        .await?
        .map_err(|problems| Error::PlanInvalid { problems })
    }

    /// Asks for an answer in JSON (a plan, a change plan), and once more with the reasons if
    /// `parse` can't use it. `Ok(Err(reasons))`: neither answer could be used.
    #[allow(clippy::too_many_arguments)]
    async fn ask_json<T>(
        &self,
        first: String,
        system: &str,
        usage: &Mutex<TokenUsage>,
        events: &EventSink,
        cancel: &CancellationToken,
        parse: impl Fn(&str) -> std::result::Result<T, Vec<String>>,
        repair: fn(&[String]) -> String,
    ) -> Result<std::result::Result<T, Vec<String>>> {
        let mut messages = vec![ChatMessage::user(first)];
        let mut last_problems = Vec::new();
        for _ in 0..2 {
            let request = ChatRequest {
                system: system.to_string(),
                messages: messages.clone(),
                model: self.model.clone(),
                max_tokens: self.settings.plan_max_tokens,
                temperature: self.settings.temperature,
                json_mode: true,
                // A plan is a few KB of JSON; one far larger is a model that lost its way.
                max_answer_bytes: Some(self.settings.max_file_bytes),
            };
            let (answer, _, request_usage) =
                collect(&*self.llm, &request, cancel.clone(), |_| {}).await?;
            add_usage(usage, self.provider, &self.model, &request_usage, events);
            match parse(&answer) {
                Ok(value) => return Ok(Ok(value)),
                Err(problems) => {
                    messages.push(ChatMessage::assistant(answer));
                    messages.push(ChatMessage::user(repair(&problems)));
                    last_problems = problems;
                }
            }
        }
        Ok(Err(last_problems))
    }

    /// Takes the project's name in the bucket with a `generating` manifest written only if
    /// none exists, so two runs never write into one project. An unnamed project whose plan
    /// name is taken gets the next free `-2`, `-3`, … suffix.
    async fn claim(
        &self,
        project: &NewProject,
        plan: &Plan,
        started_at: &str,
        usage: &Mutex<TokenUsage>,
    ) -> Result<(ProjectKey, ETag, Manifest)> {
        let base = slugify(project.name.as_deref().unwrap_or(&plan.name))?;
        let attempts = if project.name.is_some() { 1 } else { 20 };
        let mut manifest = Manifest::new(
            &project.idea,
            plan.clone(),
            self.provider.preset().name,
            &self.model,
            started_at,
        );
        manifest.usage = lock(usage).clone();
        manifest.lease = Some(Lease::new(&self.settings.owner, self.settings.lease_ttl));
        let mut n = 1;
        loop {
            let slug = if n == 1 {
                base.clone()
            } else {
                let suffix = format!("-{n}");
                let stem: String = base
                    .as_str()
                    .chars()
                    .take(crate::limits::MAX_NAME_CHARS - suffix.len())
                    .collect();
                Slug::new(&format!("{}{suffix}", stem.trim_end_matches('-')))?
            };
            let key = ProjectKey::new(project.user.clone(), slug);
            match self
                .store
                .write_manifest(&key, &manifest, ManifestPrecondition::MustNotExist)
                .await
            {
                Ok(etag) => return Ok((key, etag, manifest)),
                Err(Error::ManifestConflict { .. }) if n < attempts => n += 1,
                Err(Error::ManifestConflict { slug }) => {
                    return Err(Error::ProjectExists { slug });
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// What a Fix with AI revision says it was.
const FIX_REQUEST: &str = "Fix with AI";

/// Why a run takes a project up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resumption {
    /// To finish what a failed or cancelled run left.
    Resume,
    /// To repair files that don't fit together, complete or not.
    Refit,
}

/// Whether a run may take `manifest`'s project over now: a finished project has nothing to
/// resume (but may be refitted), and one whose lease still holds belongs to another run.
fn resumable(slug: &str, manifest: &Manifest, how: Resumption) -> Result<()> {
    match manifest.status {
        ProjectStatus::Complete if how == Resumption::Refit => Ok(()),
        ProjectStatus::Complete => Err(Error::NothingToResume {
            slug: slug.to_string(),
        }),
        ProjectStatus::Failed | ProjectStatus::Cancelled => Ok(()),
        ProjectStatus::Generating => manifest.busy(slug).map_or(Ok(()), Err),
    }
}

impl Run {
    fn emit(&self, event: GenerationEvent) {
        (self.events)(event);
    }

    /// Renews the lease every `heartbeat`, and records landed files soon after they land,
    /// until the returned guard is dropped.
    fn start_heartbeat(self: &Arc<Self>) -> Heartbeat {
        let stop = CancellationToken::new();
        let run = Arc::clone(self);
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.cancelled() => return,
                    _ = tokio::time::sleep(run.settings.heartbeat) => {}
                    _ = run.record.changed.notified() => {
                        // Files landing together make one write.
                        tokio::select! {
                            _ = stopped.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        }
                    }
                }
                // A missed heartbeat is not fatal: the next one tries again, and the lease
                // allows for several to be lost. Losing the project is.
                match run.save(ProjectStatus::Generating, None, None).await {
                    Err(e @ Error::ProjectTakenOver { .. }) => {
                        tracing::warn!(error = %e, "another run took the project over; stopping");
                        run.stop.cancel();
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "missed a heartbeat; trying again"),
                    Ok(_) => {}
                }
            }
        }.in_current_span());
        Heartbeat {
            stop,
            task: Some(task),
        }
    }

    /// The manifest as it stands now: the files landed so far in plan order.
    fn snapshot(
        &self,
        status: ProjectStatus,
        error: Option<String>,
        timings: Option<Timings>,
    ) -> Manifest {
        let mut files = lock(&self.record.landed).clone();
        files.sort_by_key(|f| {
            self.plan
                .files
                .iter()
                .position(|p| p.path == f.path.as_str())
                .unwrap_or(usize::MAX)
        });
        let mut manifest = self.record.base.clone();
        manifest
            .plan
            .files
            .extend(lock(&self.record.added).iter().cloned());
        manifest.status = status;
        manifest.files = files;
        manifest.check = lock(&self.fit).clone().or(manifest.check);
        manifest.quality = lock(&self.quality).clone().or(manifest.quality);
        manifest.usage = lock(&self.usage).clone();
        if let Some(timings) = timings {
            manifest.timings = timings;
        }
        manifest.error = error;
        if let Some(n) = lock(&self.history).recorded {
            manifest.current_revision = Some(n);
            manifest.change = None;
        }
        manifest.lease = match status {
            ProjectStatus::Generating => manifest.lease.map(|l| l.renewed(SystemTime::now())),
            _ => None,
        };
        manifest
    }

    /// Writes the manifest over the one this run wrote last. A refusal means another run
    /// took the project over; after the final write (`timings` given) nothing more is
    /// written.
    async fn save(
        &self,
        status: ProjectStatus,
        error: Option<String>,
        timings: Option<Timings>,
    ) -> Result<Manifest> {
        let is_final = timings.is_some();
        let mut state = self.record.state.lock().await;
        if state.closed {
            return Err(Error::Cancelled);
        }
        if self
            .record
            .taken_over
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(self.taken_over());
        }
        let manifest = self.snapshot(status, error, timings);
        self.write_record(&mut state, manifest, is_final).await
    }

    /// Writes `manifest` over the one this run wrote last (the state's lock held).
    async fn write_record(
        &self,
        state: &mut RecordState,
        mut manifest: Manifest,
        is_final: bool,
    ) -> Result<Manifest> {
        manifest.revision = state.revision + 1;
        let written = self
            .store
            .write_manifest(
                &self.key,
                &manifest,
                ManifestPrecondition::MustMatch(state.etag.clone()),
            )
            .await;
        match written {
            Ok(etag) => {
                state.etag = etag;
                state.revision = manifest.revision;
                state.closed = is_final;
                Ok(manifest)
            }
            Err(Error::ManifestConflict { .. }) => {
                self.record
                    .taken_over
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                Err(self.taken_over())
            }
            Err(e) => Err(e),
        }
    }

    fn taken_over(&self) -> Error {
        Error::ProjectTakenOver {
            slug: self.key.slug().to_string(),
        }
    }

    fn announce_plan(&self) {
        tracing::info!(files = self.plan.files.len(), "plan ready");
        self.emit(GenerationEvent::Planned {
            slug: self.key.slug().to_string(),
            name: self.plan.name.clone(),
            summary: self.plan.summary.clone(),
            files: self.plan.files.iter().map(|f| f.path.clone()).collect(),
        });
    }

    /// The manifest's files that are still in the bucket with the recorded hash.
    async fn kept_files(&self, recorded: &[ManifestFile]) -> Vec<ManifestFile> {
        let mut kept = Vec::new();
        for file in recorded {
            if !self.plan.files.iter().any(|f| f.path == file.path.as_str()) {
                continue;
            }
            let Ok(stored) = self.store.get_file(&self.key, &file.path).await else {
                continue;
            };
            if sha256_hex(&stored.bytes) == file.sha256 {
                if let Ok(text) = String::from_utf8(stored.bytes.to_vec()) {
                    lock(&self.texts).insert(file.path.to_string(), text);
                }
                self.emit(GenerationEvent::FileKept {
                    path: file.path.to_string(),
                    bytes: file.bytes,
                });
                kept.push(file.clone());
            }
        }
        kept
    }

    /// Writes `todo` in parallel: the files others import first, then the rest. The first file
    /// that fails stops the others; in-flight uploads are allowed to finish so the manifest can
    /// list them.
    async fn write_files(
        self: &Arc<Self>,
        todo: Vec<PlannedFile>,
        kept: Vec<ManifestFile>,
    ) -> FilesOutcome {
        let mut rate_limits = self.llm.subscribe_retries();
        let watcher = rate_limits.take().map(|mut notices| {
            let run = Arc::clone(self);
            tokio::spawn(
                async move {
                    while let Ok(notice) = notices.recv().await {
                        if notice.is_rate_limit() {
                            let concurrency = run.limit.back_off();
                            tracing::info!(
                                concurrency,
                                "rate limited; writing fewer files at once"
                            );
                            run.emit(GenerationEvent::RateLimited {
                                concurrency: concurrency as u32,
                            });
                        }
                    }
                }
                .in_current_span(),
            )
        });
        lock(&self.record.landed).extend(kept);
        // Files others import go first, so the rest are written against their real exports.
        let (shared, rest): (Vec<PlannedFile>, Vec<PlannedFile>) =
            todo.into_iter().partition(|f| prompts::is_shared(&f.path));
        let mut error = None;
        for batch in [shared, rest] {
            if batch.is_empty() {
                continue;
            }
            error = self.write_batch(batch).await;
            if error.is_some() || self.stop.is_cancelled() {
                break;
            }
        }
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        FilesOutcome { error }
    }

    /// Writes `files` in parallel; the first that fails stops the others. Returns its error.
    async fn write_batch(self: &Arc<Self>, files: Vec<PlannedFile>) -> Option<Error> {
        let mut tasks = JoinSet::new();
        for file in files {
            let run = Arc::clone(self);
            tasks.spawn(
                async move {
                    // A parser or validator that panics on some odd answer fails this file, not
                    // the run: the manifest still records the truth.
                    let result = AssertUnwindSafe(run.produce_file(&file))
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|_| {
                            Err(Error::Internal {
                                what: format!("writing “{}”", file.path),
                            })
                        });
                    (file, result)
                }
                .in_current_span(),
            );
        }
        let mut error: Option<Error> = None;
        while let Some(joined) = tasks.join_next().await {
            let Ok((file, result)) = joined else {
                // Only an abort ends a task without an answer, and nothing aborts them.
                continue;
            };
            match result {
                Ok(done) => {
                    // A change's edit replaces the file's earlier entry.
                    let mut landed = lock(&self.record.landed);
                    landed.retain(|f| f.path != done.path);
                    landed.push(done);
                    drop(landed);
                    self.record.changed.notify_one();
                }
                Err(Error::Cancelled) => {}
                Err(e) => {
                    tracing::warn!(path = %file.path, error = %e, "a file failed; stopping the run");
                    self.emit(GenerationEvent::FileFailed {
                        path: file.path.clone(),
                        error: e.to_report(),
                    });
                    if error.is_none() {
                        self.stop.cancel();
                        error = Some(e);
                    }
                }
            }
        }
        error
    }

    /// One file, from first request to upload.
    async fn produce_file(&self, file: &PlannedFile) -> Result<ManifestFile> {
        let prompt = match &self.edits {
            None => prompts::write(&self.idea, &self.plan, file, &self.shared_exports()),
            Some(edits) => match edits.originals.get(&file.path) {
                Some(original) => {
                    prompts::edit(&edits.request, &edits.summary, &self.plan, file, original)
                }
                // A file a change adds is written for the request, with the idea around it.
                None => prompts::write(
                    &format!("{}\n\nCHANGE REQUESTED:\n{}", self.idea, edits.request),
                    &self.plan,
                    file,
                    &self.shared_exports(),
                ),
            },
        };
        self.produce_with(file, prompt, true).await
    }

    /// The export lines of every file in the bucket that others import (the API module, the
    /// backend's models), for the prompts of the files written after them.
    fn shared_exports(&self) -> Vec<(String, Vec<String>)> {
        lock(&self.texts)
            .iter()
            .filter(|(path, _)| prompts::is_shared(path))
            .map(|(path, text)| (path.clone(), prompts::export_lines(path, text)))
            .collect()
    }

    /// One file answering `prompt` (a write, or a repair of a file already landed): validated,
    /// repaired, continued, then uploaded over any earlier version. With `review`, a valid
    /// answer that breaks a recipe in a way that breaks the app gets one targeted fix.
    async fn produce_with(
        &self,
        file: &PlannedFile,
        mut prompt: String,
        review: bool,
    ) -> Result<ManifestFile> {
        let path = ProjectPath::new(&file.path)?;
        let _slot = tokio::select! {
            slot = self.limit.acquire() => slot,
            _ = self.stop.cancelled() => return Err(Error::Cancelled),
        };
        self.emit(GenerationEvent::FileStarted {
            path: file.path.clone(),
        });
        let mut attempts = 0;
        let mut repairs = 0;
        let mut interruptions = 0;
        // The valid version a targeted fix started from: kept if the fix can't be used.
        let mut before_fix: Option<String> = None;
        let content = loop {
            let content = match self.answer(file, &prompt, &mut attempts).await {
                Ok(content) => content,
                Err(e @ Error::LlmStreamInterrupted { .. })
                    if interruptions < self.settings.max_interruptions =>
                {
                    interruptions += 1;
                    self.emit(GenerationEvent::FileRepairing {
                        path: file.path.clone(),
                        reason: format!("{e} Asking again."),
                        attempt: interruptions,
                    });
                    continue;
                }
                // A targeted fix that can't be had leaves the valid version before it.
                Err(e) if !matches!(e, Error::Cancelled) && before_fix.is_some() => {
                    tracing::warn!(path = %file.path, error = %e, "the targeted fix failed; keeping the version before it");
                    break before_fix.take().unwrap_or_default();
                }
                Err(e) => return Err(e),
            };
            if content.len() > self.settings.max_file_bytes {
                if let Some(earlier) = before_fix.take() {
                    break earlier;
                }
                return Err(Error::FileTooLarge {
                    path: file.path.clone(),
                    bytes: content.len() as u64,
                    limit: self.settings.max_file_bytes as u64,
                });
            }
            let valid = validate(&path, &content);
            if valid.is_ok() {
                // An edit that lost code goes back as a fix, like a parser's refusal.
                let refused = self.edit_refusals(file, &content);
                if !refused.is_empty() {
                    if repairs >= self.settings.max_repairs {
                        return Err(Error::FileInvalid {
                            path: file.path.clone(),
                            problem: refused.join("; "),
                        });
                    }
                    repairs += 1;
                    tracing::info!(path = %file.path, problems = refused.len(), repairs, "the edit lost code; asking again");
                    self.emit(GenerationEvent::FileRepairing {
                        path: file.path.clone(),
                        reason: refused.join("; "),
                        attempt: repairs,
                    });
                    if let Some(edits) = &self.edits {
                        let original = edits.originals.get(&file.path).cloned().unwrap_or_default();
                        prompt = prompts::edit_fix(
                            &edits.request,
                            &self.plan,
                            file,
                            &original,
                            &content,
                            &refused,
                        );
                    }
                    continue;
                }
            }
            match valid {
                Ok(()) if before_fix.is_some() || !review => break content,
                Ok(()) => match self.breaking_findings(file, &content) {
                    problems if problems.is_empty() => break content,
                    problems => {
                        tracing::info!(path = %file.path, problems = problems.len(), "asking for a fix of what would break the app");
                        self.emit(GenerationEvent::FileRepairing {
                            path: file.path.clone(),
                            reason: problems.join("; "),
                            attempt: 1,
                        });
                        prompt =
                            prompts::quality_fix(&self.idea, &self.plan, file, &content, &problems);
                        before_fix = Some(content);
                    }
                },
                Err(problem) if repairs < self.settings.max_repairs => {
                    repairs += 1;
                    tracing::info!(path = %file.path, %problem, repairs, "asking for a repair");
                    self.emit(GenerationEvent::FileRepairing {
                        path: file.path.clone(),
                        reason: problem.to_string(),
                        attempt: repairs,
                    });
                    prompt = prompts::fix(&self.idea, &self.plan, file, &content, &problem);
                }
                Err(problem) => match before_fix.take() {
                    Some(earlier) => {
                        tracing::warn!(path = %file.path, %problem, "the targeted fix did not parse; keeping the version before it");
                        break earlier;
                    }
                    None => {
                        return Err(Error::FileInvalid {
                            path: file.path.clone(),
                            problem: problem.to_string(),
                        })
                    }
                },
            }
        };
        // A file finished after a cancel is not uploaded; uploads already running finish.
        if self.stop.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let upload_started = Instant::now();
        self.keep_before_replacing(&path).await?;
        let receipt = self
            .store
            .put_file(&self.key, &path, content.clone().into_bytes())
            .await?;
        lock(&self.texts).insert(file.path.clone(), content);
        self.emit(GenerationEvent::FileUploaded {
            path: file.path.clone(),
            key: receipt.key.clone(),
            bytes: receipt.bytes,
            ms: upload_started.elapsed().as_millis() as u64,
        });
        self.limit.recover();
        Ok(ManifestFile {
            path,
            bytes: receipt.bytes,
            sha256: receipt.sha256,
            content_type: receipt.content_type,
            attempts,
        })
    }

    /// Why `content` can't replace the file a change modifies: markers standing for code left
    /// out, a shrink nothing asked for, exports other files still import. Empty for files the
    /// change does not modify.
    fn edit_refusals(&self, file: &PlannedFile, content: &str) -> Vec<String> {
        let Some(edits) = &self.edits else {
            return Vec::new();
        };
        let Some(original) = edits.originals.get(&file.path) else {
            return Vec::new();
        };
        let mut problems = crate::change::edit_problems(
            &file.path,
            original,
            content,
            edits.removal.contains(&file.path),
        );
        let texts = lock(&self.texts).clone();
        problems.extend(
            crate::change::dropped_exports(
                &self.plan.stack.layout(),
                &self.plan.contract,
                &texts,
                &file.path,
                content,
            )
            .into_iter()
            .map(|m| format!("another file still needs what it dropped: {m}")),
        );
        problems
    }

    /// What in `content` departs from a recipe in a way that would break the app, each with its
    /// line: the checks that need no model.
    fn breaking_findings(&self, file: &PlannedFile, content: &str) -> Vec<String> {
        review_file(
            &self.plan.stack.layout(),
            &crate::preview::standards(),
            &file.path,
            content,
        )
        .into_iter()
        .filter(|f| f.breaks)
        .map(|f| f.for_fix())
        .collect()
    }

    /// One answer for `prompt`, continued when it hits the token limit.
    async fn answer(&self, file: &PlannedFile, prompt: &str, attempts: &mut u32) -> Result<String> {
        let mut messages = vec![ChatMessage::user(prompt)];
        let mut continuations = 0;
        let mut written = String::new();
        loop {
            let request = ChatRequest {
                system: self.system.clone(),
                messages: messages.clone(),
                model: self.model.clone(),
                max_tokens: self.settings.max_tokens,
                temperature: self.settings.temperature,
                json_mode: false,
                // What is left of the file plus its fence and a line of prose; more could
                // never be saved.
                max_answer_bytes: Some(
                    self.settings
                        .max_file_bytes
                        .saturating_sub(written.len())
                        .saturating_add(ANSWER_SLACK_BYTES),
                ),
            };
            *attempts += 1;
            let already = written.len() as u64;
            let mut last_progress = Instant::now();
            let (raw, finish, usage) = collect(&*self.llm, &request, self.stop.clone(), |so_far| {
                if last_progress.elapsed() >= self.settings.progress_interval {
                    last_progress = Instant::now();
                    self.emit(GenerationEvent::FileProgress {
                        path: file.path.clone(),
                        bytes: already + so_far.bytes,
                        tokens: so_far.deltas,
                    });
                }
            })
            .await?;
            add_usage(
                &self.usage,
                self.provider,
                &self.model,
                &usage,
                &self.events,
            );
            written = if continuations == 0 {
                fenced_block(&raw).unwrap_or(&raw).to_string()
            } else {
                join_continuation(&written, &raw)
            };
            self.emit(GenerationEvent::FileProgress {
                path: file.path.clone(),
                bytes: written.len() as u64,
                tokens: usage.completion_tokens,
            });
            match finish {
                FinishReason::Length if continuations < self.settings.max_continuations => {
                    continuations += 1;
                    self.emit(GenerationEvent::FileRepairing {
                        path: file.path.clone(),
                        reason:
                            "the answer reached the model's length limit; asking it to continue"
                                .into(),
                        attempt: continuations,
                    });
                    messages.push(ChatMessage::assistant(raw));
                    messages.push(ChatMessage::user(prompts::continue_file(file)));
                }
                FinishReason::Length => {
                    return Err(Error::FileTruncated {
                        path: file.path.clone(),
                    })
                }
                _ => return Ok(file_content(&written)),
            }
        }
    }

    /// Writes the record of the revision this run made: every file landed with its hash, how
    /// each differs from the parent's, and what the run alone cost.
    async fn record_revision(&self, elapsed_ms: u64) -> Result<()> {
        let snapshot = self.snapshot(ProjectStatus::Complete, None, None);
        let texts = lock(&self.texts).clone();
        let revision = {
            let history = lock(&self.history);
            // Fix with AI that found nothing to fix changed no file: no new version.
            if let Some(parent) = &history.parent {
                let same = parent.files == Revision::files_of(&snapshot);
                if same && parent.plan == snapshot.plan {
                    let number = parent.number;
                    drop(history);
                    lock(&self.history).recorded = Some(number);
                    return Ok(());
                }
            }
            let number = history.parent.as_ref().map_or(1, |p| p.number + 1);
            Revision {
                schema_version: REVISION_SCHEMA_VERSION,
                number,
                parent: history.parent.as_ref().map(|p| p.number),
                kind: history.kind,
                request: history.request.clone(),
                summary: history
                    .summary
                    .clone()
                    .unwrap_or_else(|| snapshot.plan.summary.clone()),
                restored_from: None,
                files: Revision::files_of(&snapshot),
                changes: file_changes(&history.texts_before, &texts),
                plan: snapshot.plan.clone(),
                usage: usage_since(&history.usage_before, &snapshot.usage),
                provider: snapshot.provider.clone(),
                model: snapshot.model.clone(),
                created_at: rfc3339(SystemTime::now()),
                elapsed_ms,
            }
        };
        match self.store.write_revision(&self.key, &revision).await {
            Ok(()) => {}
            // An earlier try of this project's run recorded these very files under this
            // number, then could not save the manifest that names it: that record is ours.
            Err(Error::ManifestConflict { .. }) => {
                let found = self.store.read_revision(&self.key, revision.number).await?;
                if found.files != revision.files || found.parent != revision.parent {
                    return Err(Error::ManifestConflict {
                        slug: self.key.slug().to_string(),
                    });
                }
            }
            Err(e) => return Err(e),
        }
        lock(&self.history).recorded = Some(revision.number);
        Ok(())
    }

    /// Keeps the version of `path` in the bucket under `objects/` before it is first
    /// overwritten or deleted by this run.
    async fn keep_before_replacing(&self, path: &ProjectPath) -> Result<()> {
        let sha = lock(&self.keep_first).get(path.as_str()).cloned();
        if let Some(sha) = sha {
            self.store.keep_version(&self.key, path, &sha).await?;
            lock(&self.keep_first).remove(path.as_str());
        }
        Ok(())
    }

    /// Writes the final manifest and reports how the run ended.
    async fn finish(
        &self,
        outcome: FilesOutcome,
        cancel: &CancellationToken,
        started: Instant,
        started_at: String,
    ) -> Result<Manifest> {
        let slug = self.key.slug().to_string();
        let mut outcome = outcome;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let recorded = lock(&self.history).recorded.is_some();
        if outcome.error.is_none() && !cancel.is_cancelled() && !recorded {
            // A complete project is a revision: its record is written before the manifest
            // names it, and a project whose record could not be written is not complete.
            if let Err(e) = self.record_revision(elapsed_ms).await {
                outcome.error = Some(e);
            }
        }
        let (status, error) = match &outcome.error {
            _ if cancel.is_cancelled() => (ProjectStatus::Cancelled, None),
            Some(e) => (ProjectStatus::Failed, Some(e.to_string())),
            None => (ProjectStatus::Complete, None),
        };
        let timings = Timings {
            started_at,
            finished_at: Some(rfc3339(SystemTime::now())),
            elapsed_ms,
        };
        let saved = self.save_final(status, error, timings).await;
        let landed: Vec<String> = self
            .snapshot(status, None, None)
            .files
            .iter()
            .map(|f| f.path.to_string())
            .collect();
        let end_error = match (outcome.error, saved) {
            (_, Err(e @ Error::ProjectTakenOver { .. })) => Err(e),
            (_, Err(e)) if status == ProjectStatus::Complete => Err(e),
            (Some(e), _) => Err(e),
            (None, _) if status == ProjectStatus::Cancelled => Err(Error::Cancelled),
            (None, Err(e)) => Err(e),
            (None, Ok(manifest)) => Ok(manifest),
        };
        match end_error {
            Ok(manifest) => {
                tracing::info!(files = manifest.files.len(), elapsed_ms, "run finished");
                self.emit(GenerationEvent::Finished {
                    slug,
                    files: manifest.files.len() as u32,
                    tokens: manifest.usage.prompt_tokens + manifest.usage.completion_tokens,
                    cost_usd: manifest.usage.cost_usd,
                    elapsed_ms,
                });
                Ok(manifest)
            }
            Err(e) => {
                emit_end(&self.events, &slug, &e, &landed, cancel);
                Err(e)
            }
        }
    }

    /// The last write of the run's manifest, tried again after a failure: a run whose end
    /// can't be recorded says so, and its lease lets Resume finish the project later.
    async fn save_final(
        &self,
        status: ProjectStatus,
        error: Option<String>,
        timings: Timings,
    ) -> Result<Manifest> {
        if self
            .record
            .taken_over
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(self.taken_over());
        }
        let attempts = self.settings.final_write_attempts.max(1);
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self
                .save(status, error.clone(), Some(timings.clone()))
                .await
            {
                Ok(manifest) => return Ok(manifest),
                Err(e @ Error::ProjectTakenOver { .. }) => return Err(e),
                Err(e) if attempt >= attempts => {
                    return Err(Error::RecordNotSaved {
                        slug: self.key.slug().to_string(),
                        detail: e.to_string(),
                    })
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "could not record how the run ended; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
            }
        }
    }
}

/// The final event of a run that did not complete.
fn emit_end(
    events: &EventSink,
    slug: &str,
    e: &Error,
    landed: &[String],
    cancel: &CancellationToken,
) {
    if cancel.is_cancelled() {
        tracing::info!(landed = landed.len(), "run cancelled");
        events(GenerationEvent::Cancelled {
            slug: slug.to_string(),
            landed: landed.to_vec(),
        });
    } else {
        tracing::warn!(landed = landed.len(), error = %e, "run failed");
        events(GenerationEvent::Failed {
            slug: slug.to_string(),
            error: e.to_report(),
            landed: landed.to_vec(),
        });
    }
}

/// How much of an answer has arrived.
#[derive(Debug, Clone, Copy, Default)]
struct SoFar {
    bytes: u64,
    deltas: u64,
}

/// Room in a file answer for a fence and a line of prose around the file itself.
const ANSWER_SLACK_BYTES: usize = 4096;

/// Sends one request and gathers its whole answer (the provider stops one that outgrows the
/// request's `max_answer_bytes` while it streams).
async fn collect(
    llm: &dyn ChatProvider,
    request: &ChatRequest,
    cancel: CancellationToken,
    mut progress: impl FnMut(SoFar),
) -> Result<(String, FinishReason, Usage)> {
    let mut stream = llm.stream_chat(request, cancel.clone()).await?;
    let mut text = String::new();
    let mut so_far = SoFar::default();
    let mut usage = None;
    let mut finish = None;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = cancel.cancelled() => return Err(Error::Cancelled),
        };
        match item {
            None => break,
            Some(Err(e)) => return Err(e),
            Some(Ok(StreamEvent::TextDelta(delta))) => {
                text.push_str(&delta);
                so_far.bytes = text.len() as u64;
                so_far.deltas += 1;
                progress(so_far);
            }
            Some(Ok(StreamEvent::Usage(u))) => usage = Some(u),
            Some(Ok(StreamEvent::Finished(reason))) => finish = Some(reason),
        }
    }
    let finish = finish.unwrap_or(FinishReason::Stop);
    let usage = usage.unwrap_or(Usage {
        prompt_tokens: 0,
        completion_tokens: so_far.deltas,
        estimated: true,
    });
    Ok((text, finish, usage))
}

fn add_usage(
    total: &Mutex<TokenUsage>,
    provider: ProviderKind,
    model: &str,
    usage: &Usage,
    events: &EventSink,
) {
    let snapshot = {
        let mut total = lock(total);
        total.prompt_tokens += usage.prompt_tokens;
        total.completion_tokens += usage.completion_tokens;
        total.estimated |= usage.estimated;
        let whole = Usage {
            prompt_tokens: total.prompt_tokens,
            completion_tokens: total.completion_tokens,
            estimated: total.estimated,
        };
        total.cost_usd = estimate_cost_for(provider, model, &whole);
        total.clone()
    };
    events(GenerationEvent::Usage {
        prompt_tokens: snapshot.prompt_tokens,
        completion_tokens: snapshot.completion_tokens,
        cost_usd: snapshot.cost_usd,
        estimated: snapshot.estimated,
    });
}

/// What was spent between two readings of a run's running total.
fn usage_since(before: &TokenUsage, now: &TokenUsage) -> TokenUsage {
    TokenUsage {
        prompt_tokens: now.prompt_tokens.saturating_sub(before.prompt_tokens),
        completion_tokens: now
            .completion_tokens
            .saturating_sub(before.completion_tokens),
        estimated: now.estimated,
        cost_usd: match (now.cost_usd, before.cost_usd) {
            (Some(now), Some(before)) => Some((now - before).max(0.0)),
            (Some(now), None) => Some(now),
            _ => None,
        },
    }
}
