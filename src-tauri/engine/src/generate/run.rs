//! One generation run: plan, claim the project's name, write every file in parallel, validate,
//! repair, upload each the moment it is valid, and write the manifest last.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::answer::{fenced_block, file_content, join_continuation};
use super::events::GenerationEvent;
use super::limit::ConcurrencyLimit;
use super::prompts;
use crate::llm::{
    estimate_cost_for, ChatMessage, ChatProvider, ChatRequest, FinishReason, ProviderKind,
    StreamEvent, Usage,
};
use crate::plan::{parse_plan, Plan, PlannedFile, Stack};
use crate::store::manifest::Timings;
use crate::store::{
    slugify, Manifest, ManifestFile, ManifestPrecondition, ObjectStore, ProjectKey, ProjectPath,
    ProjectStatus, Slug, TokenUsage, UserId, MANIFEST_SCHEMA_VERSION,
};
use crate::validate::validate;
use crate::{Error, Result};

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
}

impl Default for GenerationSettings {
    fn default() -> Self {
        Self {
            concurrency: 6,
            max_tokens: 8192,
            plan_max_tokens: 4096,
            temperature: Some(0.2),
            max_file_bytes: 256 * 1024,
            max_repairs: 2,
            max_continuations: 2,
            max_interruptions: 2,
            progress_interval: Duration::from_millis(100),
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
}

/// How the file phase ended.
struct FilesOutcome {
    landed: Vec<ManifestFile>,
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
    pub async fn generate(
        &self,
        project: NewProject,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let started = Instant::now();
        let started_at = now_rfc3339();
        events(GenerationEvent::Planning {});
        let usage = Mutex::new(TokenUsage::default());
        let system = prompts::system(project.stack);
        // Until the name is claimed the run has no slug, and nothing is in the bucket.
        let ended = |e: &Error| emit_end(&events, "", e, &[], &cancel);
        let plan = self
            .plan(&project, &system, &usage, &events, &cancel)
            .await
            .inspect_err(ended)?;
        let (key, claim) = self
            .claim(&project, &plan, &started_at, &usage)
            .await
            .inspect_err(ended)?;
        let run = self.run(
            key,
            project.idea.clone(),
            plan,
            system,
            events,
            usage,
            &cancel,
        );
        run.announce_plan();
        let todo = run.plan.files.clone();
        let outcome = run.write_files(todo, Vec::new()).await;
        run.finish(outcome, claim, &cancel, started, started_at, 1)
            .await
    }

    /// Finishes a failed or cancelled project: keeps every file whose hash still matches the
    /// manifest, and writes only the rest.
    pub async fn resume(
        &self,
        key: ProjectKey,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let started = Instant::now();
        let started_at = now_rfc3339();
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
        if matches!(
            manifest.status,
            ProjectStatus::Complete | ProjectStatus::Generating
        ) {
            let e = Error::NothingToResume {
                slug: slug.clone(),
                status: manifest.status,
            };
            ended(&e);
            return Err(e);
        }
        // Claim the project for this run, so a second resume elsewhere gets a conflict.
        let mut claim_manifest = manifest.clone();
        claim_manifest.status = ProjectStatus::Generating;
        claim_manifest.error = None;
        claim_manifest.revision += 1;
        let claim = self
            .store
            .write_manifest(&key, &claim_manifest, ManifestPrecondition::MustMatch(etag))
            .await
            .inspect_err(ended)?;
        let usage = Mutex::new(manifest.usage.clone());
        let system = prompts::system(manifest.plan.stack);
        let run = self.run(
            key,
            manifest.idea.clone(),
            manifest.plan.clone(),
            system,
            events,
            usage,
            &cancel,
        );
        run.announce_plan();
        let kept = run.kept_files(&manifest.files).await;
        let todo: Vec<PlannedFile> = run
            .plan
            .files
            .iter()
            .filter(|f| !kept.iter().any(|k| k.path.as_str() == f.path))
            .cloned()
            .collect();
        let outcome = run.write_files(todo, kept).await;
        run.finish(
            outcome,
            claim,
            &cancel,
            started,
            started_at,
            claim_manifest.revision + 1,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        key: ProjectKey,
        idea: String,
        plan: Plan,
        system: String,
        events: EventSink,
        usage: Mutex<TokenUsage>,
        cancel: &CancellationToken,
    ) -> Arc<Run> {
        Arc::new(Run {
            store: self.store.clone(),
            llm: self.llm.clone(),
            provider: self.provider,
            model: self.model.clone(),
            limit: ConcurrencyLimit::new(self.settings.concurrency),
            settings: self.settings.clone(),
            key,
            idea,
            plan,
            system,
            events,
            usage,
            stop: cancel.child_token(),
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
        let mut messages = vec![ChatMessage::user(prompts::plan(
            &project.idea,
            project.name.as_deref(),
            project.stack,
        ))];
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
            match parse_plan(&answer, project.stack) {
                Ok(plan) => return Ok(plan),
                Err(problems) => {
                    messages.push(ChatMessage::assistant(answer));
                    messages.push(ChatMessage::user(prompts::plan_repair(&problems)));
                    last_problems = problems;
                }
            }
        }
        Err(Error::PlanInvalid {
            problems: last_problems,
        })
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
    ) -> Result<(ProjectKey, crate::store::ETag)> {
        let base = slugify(project.name.as_deref().unwrap_or(&plan.name))?;
        let attempts = if project.name.is_some() { 1 } else { 20 };
        for n in 1..=attempts {
            let slug = if n == 1 {
                base.clone()
            } else {
                let suffix = format!("-{n}");
                let stem: String = base.as_str().chars().take(63 - suffix.len()).collect();
                Slug::new(&format!("{}{suffix}", stem.trim_end_matches('-')))?
            };
            let key = ProjectKey::new(project.user.clone(), slug);
            let manifest = Manifest {
                schema_version: MANIFEST_SCHEMA_VERSION,
                status: ProjectStatus::Generating,
                name: plan.name.clone(),
                idea: project.idea.clone(),
                plan: plan.clone(),
                provider: self.provider.preset().name.to_string(),
                model: self.model.clone(),
                files: Vec::new(),
                usage: usage.lock().unwrap().clone(),
                timings: Timings {
                    started_at: started_at.to_string(),
                    finished_at: None,
                    elapsed_ms: 0,
                },
                revision: 1,
                error: None,
            };
            match self
                .store
                .write_manifest(&key, &manifest, ManifestPrecondition::MustNotExist)
                .await
            {
                Ok(etag) => return Ok((key, etag)),
                Err(Error::ManifestConflict { .. }) if n < attempts => continue,
                Err(Error::ManifestConflict { slug }) => {
                    return Err(Error::ProjectExists { slug });
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the last attempt returns")
    }
}

impl Run {
    fn emit(&self, event: GenerationEvent) {
        (self.events)(event);
    }

    fn announce_plan(&self) {
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
                self.emit(GenerationEvent::FileKept {
                    path: file.path.to_string(),
                    bytes: file.bytes,
                });
                kept.push(file.clone());
            }
        }
        kept
    }

    /// Writes `todo` in parallel. The first file that fails stops the others; in-flight
    /// uploads are allowed to finish so the manifest can list them.
    async fn write_files(
        self: &Arc<Self>,
        todo: Vec<PlannedFile>,
        kept: Vec<ManifestFile>,
    ) -> FilesOutcome {
        let mut rate_limits = self.llm.subscribe_retries();
        let watcher = rate_limits.take().map(|mut notices| {
            let run = Arc::clone(self);
            tokio::spawn(async move {
                while let Ok(notice) = notices.recv().await {
                    if notice.is_rate_limit() {
                        let concurrency = run.limit.back_off();
                        run.emit(GenerationEvent::RateLimited {
                            concurrency: concurrency as u32,
                        });
                    }
                }
            })
        });
        let mut tasks = JoinSet::new();
        for file in todo {
            let run = Arc::clone(self);
            tasks.spawn(async move {
                let result = run.produce_file(&file).await;
                (file, result)
            });
        }
        let mut landed = kept;
        let mut error: Option<Error> = None;
        while let Some(joined) = tasks.join_next().await {
            let (file, result) = joined.expect("file tasks do not panic");
            match result {
                Ok(done) => landed.push(done),
                Err(Error::Cancelled) => {}
                Err(e) => {
                    self.emit(GenerationEvent::FileFailed {
                        path: file.path.clone(),
                        error: e.to_string(),
                    });
                    if error.is_none() {
                        self.stop.cancel();
                        error = Some(e);
                    }
                }
            }
        }
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        // The manifest lists files in plan order, whatever order they landed in.
        landed.sort_by_key(|f| {
            self.plan
                .files
                .iter()
                .position(|p| p.path == f.path.as_str())
                .unwrap_or(usize::MAX)
        });
        FilesOutcome { landed, error }
    }

    /// One file, from first request to upload.
    async fn produce_file(&self, file: &PlannedFile) -> Result<ManifestFile> {
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
        let mut prompt = prompts::write(&self.idea, &self.plan, file);
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
                Err(e) => return Err(e),
            };
            if content.len() > self.settings.max_file_bytes {
                return Err(Error::FileTooLarge {
                    path: file.path.clone(),
                    bytes: content.len() as u64,
                    limit: self.settings.max_file_bytes as u64,
                });
            }
            match validate(&path, &content) {
                Ok(()) => break content,
                Err(problem) if repairs < self.settings.max_repairs => {
                    repairs += 1;
                    self.emit(GenerationEvent::FileRepairing {
                        path: file.path.clone(),
                        reason: problem.to_string(),
                        attempt: repairs,
                    });
                    prompt = prompts::fix(&self.idea, &self.plan, file, &content, &problem);
                }
                Err(problem) => {
                    return Err(Error::FileInvalid {
                        path: file.path.clone(),
                        problem: problem.to_string(),
                    })
                }
            }
        };
        // A file finished after a cancel is not uploaded; uploads already running finish.
        if self.stop.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let upload_started = Instant::now();
        let receipt = self
            .store
            .put_file(&self.key, &path, content.into_bytes())
            .await?;
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
                // The file plus its fence and a line of prose; more could never be saved.
                max_answer_bytes: Some(self.settings.max_file_bytes.saturating_add(4096)),
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

    /// Writes the final manifest and reports how the run ended.
    async fn finish(
        &self,
        outcome: FilesOutcome,
        claim: crate::store::ETag,
        cancel: &CancellationToken,
        started: Instant,
        started_at: String,
        revision: u64,
    ) -> Result<Manifest> {
        let slug = self.key.slug().to_string();
        let (status, error) = match &outcome.error {
            _ if cancel.is_cancelled() => (ProjectStatus::Cancelled, None),
            Some(e) => (ProjectStatus::Failed, Some(e.to_string())),
            None => (ProjectStatus::Complete, None),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let manifest = Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            status,
            name: self.plan.name.clone(),
            idea: self.idea.clone(),
            plan: self.plan.clone(),
            provider: self.provider.preset().name.to_string(),
            model: self.model.clone(),
            files: outcome.landed,
            usage: self.usage.lock().unwrap().clone(),
            timings: Timings {
                started_at,
                finished_at: Some(now_rfc3339()),
                elapsed_ms,
            },
            revision,
            error,
        };
        let saved = self
            .store
            .write_manifest(&self.key, &manifest, ManifestPrecondition::MustMatch(claim))
            .await;
        let landed: Vec<String> = manifest.files.iter().map(|f| f.path.to_string()).collect();
        let end_error = match (outcome.error, saved) {
            (_, Err(save_error)) if status == ProjectStatus::Complete => Some(save_error),
            (Some(e), _) => Some(e),
            (None, _) if status == ProjectStatus::Cancelled => Some(Error::Cancelled),
            (None, Err(save_error)) => Some(save_error),
            (None, Ok(_)) => None,
        };
        match end_error {
            None => {
                self.emit(GenerationEvent::Finished {
                    slug,
                    files: manifest.files.len() as u32,
                    tokens: manifest.usage.prompt_tokens + manifest.usage.completion_tokens,
                    cost_usd: manifest.usage.cost_usd,
                    elapsed_ms,
                });
                Ok(manifest)
            }
            Some(e) => {
                emit_end(&self.events, &slug, &e, &landed, cancel);
                Err(e)
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
        events(GenerationEvent::Cancelled {
            slug: slug.to_string(),
            landed: landed.to_vec(),
        });
    } else {
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

/// Sends one request and gathers its whole answer.
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
        let mut total = total.lock().unwrap();
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}
