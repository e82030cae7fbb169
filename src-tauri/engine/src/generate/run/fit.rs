//! The run's last step before its manifest: do the files fit together? The cross-file check
//! (bucketforge-check) reads every file in memory; each file that can fix a problem gets one
//! targeted `TASK: fix`, a file the plan lacked one `TASK: write`, and the check runs again.
//! Files with no problem are never asked for again; problems left are recorded, not hidden.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bucketforge_check::quality::{review_project, QualityReport};
use bucketforge_check::{check_project, CheckReport, SourceFile};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{FilesOutcome, Run};
use crate::generate::events::GenerationEvent;
use crate::generate::prompts;
use crate::plan::PlannedFile;
use crate::store::ProjectPath;
use crate::sync::lock;
use crate::Error;

/// What one round asks of the model: a fix for each file with problems, a first version of
/// each file the plan lacked.
#[derive(Debug, Default, PartialEq)]
struct Round {
    fixes: BTreeMap<String, Vec<String>>,
    writes: BTreeMap<String, Vec<String>>,
    /// Files asked to fix something that does not fit (the rest break only a recipe).
    unfit: BTreeSet<String>,
}

impl Round {
    /// Each problem goes to the first file that can fix it; a missing file the project may
    /// still hold is written instead, once. `recipes` are (file, finding) pairs of recipes
    /// broken in a way that breaks the app, asked of their own file.
    fn plan(
        report: &CheckReport,
        recipes: &[(String, String)],
        existing: &[String],
        room: usize,
    ) -> Round {
        let mut round = Round::default();
        for problem in &report.problems {
            if let Some(missing) = &problem.missing_file {
                let new = !existing.iter().any(|p| p.eq_ignore_ascii_case(missing));
                let writable = ProjectPath::new(missing).is_ok();
                let fits = round.writes.contains_key(missing) || round.writes.len() < room;
                if new && writable && fits {
                    round
                        .writes
                        .entry(missing.clone())
                        .or_default()
                        .push(problem.message.clone());
                    continue;
                }
            }
            if let Some(file) = problem
                .fix_in
                .iter()
                .find(|p| existing.iter().any(|e| e == *p))
            {
                round
                    .fixes
                    .entry(file.clone())
                    .or_default()
                    .push(problem.message.clone());
                round.unfit.insert(file.clone());
            }
        }
        for (path, finding) in recipes {
            if existing.iter().any(|e| e == path) {
                round
                    .fixes
                    .entry(path.clone())
                    .or_default()
                    .push(finding.clone());
            }
        }
        round
    }

    fn is_empty(&self) -> bool {
        self.fixes.is_empty() && self.writes.is_empty()
    }
}

impl Run {
    /// Checks the files against each other and the contract, with up to `rounds` rounds of
    /// targeted repairs, reviews them against the recipes, and records both reports for the
    /// manifest. With `recipes` (Fix with AI), a file that still breaks a recipe in a way that
    /// breaks the app is asked to fix that too. A run that already failed or was cancelled is
    /// not checked.
    pub(super) async fn check_fit(
        self: &Arc<Self>,
        outcome: FilesOutcome,
        rounds: u32,
        recipes: bool,
    ) -> FilesOutcome {
        if outcome.error.is_some() || self.stop.is_cancelled() {
            return outcome;
        }
        self.emit(GenerationEvent::Checking {});
        let (mut report, mut quality) = self.reports();
        for round in 1..=rounds {
            let broken: Vec<(String, String)> = if recipes {
                quality
                    .breaking()
                    .map(|f| (f.path.clone(), f.for_fix()))
                    .collect()
            } else {
                Vec::new()
            };
            if (report.is_clean() && broken.is_empty()) || self.stop.is_cancelled() {
                break;
            }
            let asked = self.repair_round(&report, &broken, round).await;
            if asked == 0 {
                break;
            }
            (report, quality) = self.reports();
        }
        tracing::info!(
            imports = report.imports,
            packages = report.packages,
            api_calls = report.api_calls,
            problems = report.problems.len(),
            recipes = %quality.summary(),
            "files checked together"
        );
        *lock(&self.quality) = Some(quality);
        *lock(&self.fit) = Some(report.clone());
        self.emit(GenerationEvent::Checked { report });
        self.record.changed.notify_one();
        outcome
    }

    /// Both checks over the files as they are in the bucket now, from one read of them: how
    /// they fit together and with the contract, and how they hold to the recipes.
    fn reports(&self) -> (CheckReport, QualityReport) {
        project_reports(&self.plan, &lock(&self.texts))
    }

    /// Asks, in parallel, for each file one round names; returns how many were asked. A file
    /// whose repair fails keeps its earlier version (its problems stay in the report).
    async fn repair_round(
        self: &Arc<Self>,
        report: &CheckReport,
        recipes: &[(String, String)],
        round: u32,
    ) -> usize {
        // A change rewrites only the files its plan named, and adds none the check asks for.
        let existing: Vec<String> = lock(&self.texts)
            .keys()
            .filter(|path| self.editable.as_ref().is_none_or(|e| e.contains(*path)))
            .cloned()
            .collect();
        let planned = self.plan.files.len() + lock(&self.record.added).len();
        let room = match self.editable {
            Some(_) => 0,
            None => crate::limits::MAX_PLANNED_FILES.saturating_sub(planned),
        };
        let plan = Round::plan(report, recipes, &existing, room);
        if plan.is_empty() {
            return 0;
        }
        let asked = plan.fixes.len() + plan.writes.len();
        let mut tasks = JoinSet::new();
        for (path, problems) in plan.fixes {
            let file = self.planned(&path);
            let content = lock(&self.texts).get(&path).cloned().unwrap_or_default();
            let prompt = if plan.unfit.contains(&path) {
                prompts::fit_fix(&self.idea, &self.plan, &file, &content, &problems)
            } else {
                prompts::quality_fix(&self.idea, &self.plan, &file, &content, &problems)
            };
            self.emit(GenerationEvent::FileRepairing {
                path: path.clone(),
                reason: problems.join("; "),
                attempt: round,
            });
            let run = Arc::clone(self);
            tasks.spawn(
                async move { (file.clone(), run.produce_with(&file, prompt, false).await) }
                    .in_current_span(),
            );
        }
        for (path, problems) in plan.writes {
            let file = PlannedFile {
                path: path.clone(),
                purpose: format!("a file the others need: {}", problems.join("; ")),
            };
            lock(&self.record.added).push(file.clone());
            let prompt = prompts::write(&self.idea, &self.plan, &file, &self.shared_exports());
            let run = Arc::clone(self);
            tasks.spawn(
                async move { (file.clone(), run.produce_with(&file, prompt, true).await) }
                    .in_current_span(),
            );
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((file, result)) = joined else { continue };
            match result {
                Ok(done) => {
                    let mut landed = lock(&self.record.landed);
                    let earlier = landed
                        .iter()
                        .position(|f| f.path == done.path)
                        .map(|i| landed.remove(i));
                    let mut done = done;
                    done.attempts += earlier.map_or(0, |f| f.attempts);
                    landed.push(done);
                    drop(landed);
                    self.record.changed.notify_one();
                }
                Err(Error::Cancelled) => {}
                Err(e) => {
                    tracing::warn!(path = %file.path, error = %e, "a repair for the cross-file check failed; keeping the file as it was");
                    // A file the plan lacked and that could not be written is not planned.
                    lock(&self.record.added)
                        .retain(|f| f.path != file.path || lock(&self.texts).contains_key(&f.path));
                }
            }
        }
        asked
    }

    /// The plan's entry for `path` (or the one a repair added).
    pub(super) fn planned(&self, path: &str) -> PlannedFile {
        self.plan
            .files
            .iter()
            .chain(lock(&self.record.added).iter())
            .find(|f| f.path == path)
            .cloned()
            .unwrap_or_else(|| PlannedFile {
                path: path.to_string(),
                purpose: "part of the project".into(),
            })
    }
}

/// Both checks over a project's files (texts by path): how they fit together and with the
/// plan's contract, and how they hold to the recipes.
pub(crate) fn project_reports(
    plan: &crate::plan::Plan,
    texts: &BTreeMap<String, String>,
) -> (CheckReport, QualityReport) {
    let files: Vec<SourceFile<'_>> = texts
        .iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    let layout = plan.stack.layout();
    (
        check_project(&layout, &plan.contract, &files),
        review_project(&layout, &crate::preview::standards(), &files),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bucketforge_check::{FitKind, FitProblem};

    fn problem(fix_in: &[&str], missing: Option<&str>, message: &str) -> FitProblem {
        FitProblem {
            kind: FitKind::MissingFile,
            message: message.into(),
            fix_in: fix_in.iter().map(|s| s.to_string()).collect(),
            missing_file: missing.map(str::to_string),
        }
    }

    fn report(problems: Vec<FitProblem>) -> CheckReport {
        CheckReport {
            problems,
            ..CheckReport::default()
        }
    }

    #[test]
    fn each_file_gets_one_fix_with_all_its_problems_and_files_without_any_none() {
        let existing = [
            "src/App.jsx".to_string(),
            "package.json".to_string(),
            "src/main.jsx".to_string(),
        ];
        let round = Round::plan(
            &report(vec![
                problem(&["src/App.jsx", "package.json"], None, "imports axios"),
                problem(&["src/App.jsx"], None, "calls GET /api/x"),
            ]),
            &[],
            &existing,
            10,
        );
        assert_eq!(
            round.fixes,
            BTreeMap::from([(
                "src/App.jsx".to_string(),
                vec!["imports axios".to_string(), "calls GET /api/x".to_string()]
            )])
        );
        assert!(round.writes.is_empty());
    }

    #[test]
    fn a_missing_file_is_written_once_unless_the_plan_is_full() {
        let existing = ["src/App.jsx".to_string()];
        let both = vec![
            problem(&["src/App.jsx"], Some("src/List.jsx"), "imports ./List"),
            problem(
                &["src/App.jsx"],
                Some("src/List.jsx"),
                "imports { Item } from ./List",
            ),
        ];
        let round = Round::plan(&report(both.clone()), &[], &existing, 10);
        assert_eq!(round.writes.len(), 1);
        assert_eq!(round.writes["src/List.jsx"].len(), 2);
        assert!(round.fixes.is_empty());
        // No room left in the plan: the importing file is asked to do without it.
        let full = Round::plan(&report(both), &[], &existing, 0);
        assert!(full.writes.is_empty());
        assert_eq!(full.fixes["src/App.jsx"].len(), 2);
    }

    #[test]
    fn a_problem_no_existing_file_can_fix_asks_nothing() {
        let round = Round::plan(
            &report(vec![problem(&["gone.js"], Some("../escape.js"), "x")]),
            &[("gone.js".to_string(), "line 1: breaks".to_string())],
            &["src/App.jsx".to_string()],
            10,
        );
        assert!(round.is_empty());
    }

    #[test]
    fn a_broken_recipe_joins_its_file_s_fix_and_a_file_with_only_that_gets_a_recipe_fix() {
        let existing = ["src/App.jsx".to_string(), "src/api.js".to_string()];
        let round = Round::plan(
            &report(vec![problem(&["src/App.jsx"], None, "imports axios")]),
            &[
                (
                    "src/App.jsx".to_string(),
                    "line 3: reads VITE_API_URL".to_string(),
                ),
                (
                    "src/api.js".to_string(),
                    "line 1: reads VITE_API_URL".to_string(),
                ),
            ],
            &existing,
            10,
        );
        assert_eq!(
            round.fixes["src/App.jsx"],
            ["imports axios", "line 3: reads VITE_API_URL"]
        );
        assert_eq!(round.fixes["src/api.js"], ["line 1: reads VITE_API_URL"]);
        assert_eq!(round.unfit, BTreeSet::from(["src/App.jsx".to_string()]));
    }
}
