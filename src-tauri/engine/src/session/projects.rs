//! The projects in the bucket: pages of them, one project, one file, export, delete, share.

use std::time::Duration;

use futures::{stream, StreamExt, TryStreamExt};
use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::store::{
    slugify, FileSource, LeaseState, Manifest, ObjectStore, PageToken, ProjectFile, ProjectKey,
    ProjectPath, ProjectStatus, ProjectSummary, Slug, StoredFile,
};
use crate::{Error, ErrorReport, Result};

/// One row of the Projects screen.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectListItem {
    pub slug: String,
    pub name: String,
    /// `None` when the project has no readable manifest.
    pub status: Option<ProjectStatus>,
    pub files: u32,
    #[ts(type = "number")]
    pub bytes: u64,
    /// RFC 3339, when known.
    pub updated_at: Option<String>,
    pub idea: Option<String>,
    /// Why the manifest could not be read, if it couldn't.
    pub problem: Option<ErrorReport>,
    /// Who is writing it, while it is `generating`.
    pub activity: Option<RunActivity>,
}

/// A run writing a project, as its lease tells: live (checking in) or stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RunActivity {
    pub owner: String,
    #[ts(type = "number")]
    pub seconds_since_check_in: u64,
    #[ts(type = "number")]
    pub ttl_secs: u64,
    /// The run stopped checking in: the project was interrupted and Resume finishes it.
    pub interrupted: bool,
}

/// What a `generating` project's lease says about its run; `None` for any other status.
pub fn run_activity(manifest: &Manifest) -> Option<RunActivity> {
    if manifest.status != ProjectStatus::Generating {
        return None;
    }
    let Some(lease) = &manifest.lease else {
        // Written by a version without leases: nobody will ever finish it but Resume.
        return Some(RunActivity {
            owner: "an earlier version of BucketForge".into(),
            seconds_since_check_in: u64::MAX,
            ttl_secs: 0,
            interrupted: true,
        });
    };
    let (owner, secs_ago, interrupted) = match lease.state(std::time::SystemTime::now()) {
        LeaseState::Live { owner, secs_ago } => (owner, secs_ago, false),
        LeaseState::Stale { owner, secs_ago } => (owner, secs_ago, true),
    };
    Some(RunActivity {
        owner,
        seconds_since_check_in: secs_ago,
        ttl_secs: lease.ttl_secs,
        interrupted,
    })
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectsPage {
    pub projects: Vec<ProjectListItem>,
    /// Pass back to get the next page; `None` on the last one.
    pub next_page: Option<String>,
}

/// A project opened in the Projects screen.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectDetails {
    pub slug: String,
    pub source: FileSource,
    pub files: Vec<ProjectFile>,
    pub manifest: Option<Manifest>,
    /// Who is writing it, while it is `generating`.
    pub activity: Option<RunActivity>,
}

/// One file's text for the code viewer.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FileContent {
    pub path: String,
    pub text: String,
    pub content_type: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// A link anyone can open to download one file, until it expires.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ShareLink {
    pub url: String,
    #[ts(type = "number")]
    pub expires_in_secs: u64,
    /// From the built-in bucket: the link works only on this computer, while BucketForge runs.
    pub this_computer_only: bool,
}

/// A link anyone can open to download the whole project as a zip, until it expires.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectShareLink {
    pub url: String,
    #[ts(type = "number")]
    pub expires_in_secs: u64,
    /// From the built-in bucket: the link works only on this computer, while BucketForge runs.
    pub this_computer_only: bool,
    /// Files in the zip.
    pub files: u32,
    /// The zip's size.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// Projects shown per page of the Projects screen.
const PROJECTS_PAGE_SIZE: u16 = 30;
/// Manifests read at once while filling a page.
const MANIFEST_READS_AT_ONCE: usize = 8;
/// The longest a share link may live (S3's limit for signed URLs).
pub const MAX_SHARE_SECS: u64 = 7 * 24 * 3600;

/// What `verify` found: how the files fit together, and how they hold to the recipes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    pub check: bucketforge_check::CheckReport,
    pub quality: bucketforge_check::quality::QualityReport,
}

impl Verified {
    /// Nothing that would break the app: the files fit, and no recipe that matters is broken.
    pub fn is_sound(&self) -> bool {
        self.check.is_clean() && self.quality.breaking().next().is_none()
    }
}

impl Session {
    /// The project a name the user typed means, by [`resolve_slug`], among the user's own.
    pub fn project_key(&self, typed: &str) -> Result<ProjectKey> {
        Ok(ProjectKey::new(self.user()?, resolve_slug(typed)?))
    }

    /// The name of the bucket the projects are in.
    pub async fn bucket_name(&self) -> Result<String> {
        Ok(self.store().await?.bucket().to_string())
    }

    /// Every project of the user, without reading their records: the short names only.
    pub async fn all_projects(&self) -> Result<Vec<ProjectSummary>> {
        self.store()
            .await?
            .list_projects(&self.user()?)
            .try_collect()
            .await
    }

    /// One page of the user's projects with what their manifests say; `search` keeps the
    /// projects whose short name starts with it.
    pub async fn projects_page(
        &self,
        page: Option<String>,
        search: Option<&str>,
    ) -> Result<ProjectsPage> {
        let store = self.store().await?;
        let user = self.user()?;
        let start = match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(search) => slugify(search).map(|s| s.to_string()).unwrap_or_default(),
            None => String::new(),
        };
        let token = page.map(PageToken::from_string);
        let listed = store
            .list_projects_page_starting(&user, &start, token.as_ref(), PROJECTS_PAGE_SIZE)
            .await?;
        let projects = stream::iter(listed.projects)
            .map(|summary| {
                let store = store.clone();
                let key = ProjectKey::new(user.clone(), summary.slug);
                async move { project_item(&store, &key).await }
            })
            .buffered(MANIFEST_READS_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
        Ok(ProjectsPage {
            projects,
            next_page: listed.next_page.map(|t| t.as_str().to_string()),
        })
    }

    pub async fn project(&self, slug: &str) -> Result<ProjectDetails> {
        let key = self.project_key(slug)?;
        let files = self.store().await?.project_files(&key).await?;
        let manifest = files.manifest.map(|(m, _)| m);
        Ok(ProjectDetails {
            slug: key.slug().to_string(),
            source: files.source,
            files: files.files,
            activity: manifest.as_ref().and_then(run_activity),
            manifest,
        })
    }

    /// One file of the project, byte for byte.
    pub async fn read_file(&self, slug: &str, path: &ProjectPath) -> Result<StoredFile> {
        let key = self.project_key(slug)?;
        self.store().await?.get_file(&key, path).await
    }

    pub async fn project_file(&self, slug: &str, path: &str) -> Result<FileContent> {
        let path = ProjectPath::new(path)?;
        let file = self.read_file(slug, &path).await?;
        Ok(FileContent {
            path: path.to_string(),
            bytes: file.bytes.len() as u64,
            text: String::from_utf8_lossy(&file.bytes).into_owned(),
            content_type: file.content_type,
        })
    }

    /// Exports the project as a zip; an incomplete one only when `partial` says the user
    /// knows it is.
    pub async fn export(
        &self,
        slug: &str,
        out: &std::path::Path,
        partial: bool,
    ) -> Result<crate::store::ExportSummary> {
        let key = self.project_key(slug)?;
        crate::store::export_project(&self.store().await?, &key, out, partial).await
    }

    /// Checks that the project's files fit together and with its contract, and how they hold
    /// to the prompts' recipes, as a run does before its manifest; any project, older ones
    /// included. Changes nothing.
    pub async fn verify(&self, slug: &str) -> Result<Verified> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        let (manifest, _) =
            store
                .read_manifest(&key)
                .await?
                .ok_or_else(|| Error::ManifestMissing {
                    slug: key.slug().to_string(),
                })?;
        let texts: Vec<(String, String)> = stream::iter(manifest.files.iter())
            .map(|file| {
                let (store, key) = (&store, &key);
                async move {
                    let stored = store.get_file(key, &file.path).await?;
                    // A file that isn't text (an image) has nothing for the check to read.
                    Ok::<_, Error>(
                        String::from_utf8(stored.bytes.to_vec())
                            .ok()
                            .map(|text| (file.path.to_string(), text)),
                    )
                }
            })
            .buffer_unordered(8)
            .try_filter_map(|found| async move { Ok(found) })
            .try_collect()
            .await?;
        let files: Vec<bucketforge_check::SourceFile<'_>> = texts
            .iter()
            .map(|(path, text)| bucketforge_check::SourceFile { path, text })
            .collect();
        let layout = manifest.plan.stack.layout();
        Ok(Verified {
            check: bucketforge_check::check_project(&layout, &manifest.plan.contract, &files),
            quality: bucketforge_check::quality::review_project(
                &layout,
                &crate::preview::standards(),
                &files,
            ),
        })
    }

    /// Deletes the project; one that a run is writing right now only with `force`.
    pub async fn delete(&self, slug: &str, force: bool) -> Result<u64> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        if !force {
            if let Some((manifest, _)) = store.read_manifest(&key).await? {
                if let Some(busy) = manifest.busy(key.slug().as_str()) {
                    return Err(busy);
                }
            }
        }
        store.delete_project(&key).await
    }

    /// A link to download one file of the project (its README by default).
    pub async fn share_link(
        &self,
        slug: &str,
        path: &str,
        expires_in_secs: u64,
    ) -> Result<ShareLink> {
        let key = self.project_key(slug)?;
        let path = ProjectPath::new(path)?;
        let secs = expires_in_secs.clamp(60, MAX_SHARE_SECS);
        let store = self.store().await?;
        let url = store
            .presigned_get_url(&key, &path, Duration::from_secs(secs))
            .await?;
        Ok(ShareLink {
            url,
            expires_in_secs: secs,
            this_computer_only: store.is_built_in(),
        })
    }

    /// A link to download the whole project as a zip: built in memory from the files in the
    /// bucket (checked against its record, as an export is), stored in the project's
    /// `.bucketforge/exports/` and signed for `expires_in_secs`. Only a complete project.
    pub async fn share_project(
        &self,
        slug: &str,
        expires_in_secs: u64,
    ) -> Result<ProjectShareLink> {
        let key = self.project_key(slug)?;
        let secs = expires_in_secs.clamp(60, MAX_SHARE_SECS);
        let store = self.store().await?;
        let label = format!("the zip of “{}” for its link", key.slug());
        let (zip, files) = crate::store::export::project_zip(&store, &key, &label)
            .await
            .map_err(|e| match e {
                Error::ExportFailed { reason, .. } => Error::ShareFailed {
                    slug: key.slug().to_string(),
                    reason,
                },
                other => other,
            })?;
        let bytes = zip.len() as u64;
        let url = store
            .share_zip(&key, zip, Duration::from_secs(secs))
            .await?;
        Ok(ProjectShareLink {
            url,
            expires_in_secs: secs,
            this_computer_only: store.is_built_in(),
            files: files as u32,
            bytes,
        })
    }
}

/// The one rule for a project name the user typed, in the window and on the command line
/// alike: a valid short name is taken as it is (so every listed project can be typed back);
/// anything else is slugified as a new project's name is ("My App" finds `my-app`).
pub fn resolve_slug(typed: &str) -> Result<Slug> {
    let typed = typed.trim();
    Slug::new(typed).or_else(|_| slugify(typed))
}

/// A project's row, from its manifest (or a bare listing when it has none).
async fn project_item(store: &ObjectStore, key: &ProjectKey) -> ProjectListItem {
    let slug = key.slug().to_string();
    let problem = match store.read_manifest(key).await {
        Ok(Some((manifest, _))) => {
            return ProjectListItem {
                activity: run_activity(&manifest),
                slug,
                name: manifest.name.clone(),
                status: Some(manifest.status),
                files: manifest.files.len() as u32,
                bytes: manifest.files.iter().map(|f| f.bytes).sum(),
                updated_at: manifest
                    .timings
                    .finished_at
                    .clone()
                    .or(Some(manifest.timings.started_at.clone())),
                idea: Some(manifest.idea),
                problem: None,
            }
        }
        Ok(None) => Error::ManifestMissing { slug: slug.clone() },
        Err(e) => e,
    };
    // No manifest to read: a bare row named after its folder, saying why.
    ProjectListItem {
        name: slug.clone(),
        slug,
        status: None,
        files: 0,
        bytes: 0,
        updated_at: None,
        idea: None,
        activity: None,
        problem: Some(problem.to_report()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use super::super::testing::window;
    use super::*;
    use crate::store::{Lease, ObjectStore};

    /// A manifest as a run leaves it, listing no files.
    pub fn manifest(slug: &str, status: &str) -> Manifest {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "status": status, "name": format!("Name of {slug}"),
            "idea": "a test project",
            "plan": { "name": slug, "summary": "s", "stack": "react", "contract": "c", "files": [] },
            "provider": "test", "model": "m", "files": [],
            "usage": { "prompt_tokens": 1, "completion_tokens": 2 },
            "timings": { "started_at": "2026-01-01T00:00:00Z" }, "revision": 1,
        }))
        .unwrap()
    }

    /// A project with a README and, unless `record` is `None`, a manifest.
    pub async fn seed(store: &ObjectStore, key: &ProjectKey, record: Option<Manifest>) {
        let readme = ProjectPath::new("README.md").unwrap();
        store.put_file(key, &readme, "# Hello\n").await.unwrap();
        if let Some(manifest) = record {
            store
                .write_manifest(
                    key,
                    &manifest,
                    crate::store::ManifestPrecondition::MustNotExist,
                )
                .await
                .unwrap();
        }
    }

    /// A `generating` manifest whose run is alive and checking in.
    pub fn held(slug: &str) -> Manifest {
        let mut held = manifest(slug, "generating");
        held.lease = Some(Lease::new(
            "the BucketForge window",
            Duration::from_secs(600),
        ));
        held
    }

    fn key_of(session: &Session, slug: &str) -> ProjectKey {
        ProjectKey::new(
            session.user().unwrap(),
            crate::store::Slug::new(slug).unwrap(),
        )
    }

    #[test]
    fn only_a_generating_project_has_run_activity() {
        assert_eq!(run_activity(&manifest("a", "complete")), None);
        let orphan = run_activity(&manifest("a", "generating")).unwrap();
        assert!(
            orphan.interrupted,
            "no lease: nobody will finish it but Resume"
        );
        let live = run_activity(&held("a")).unwrap();
        assert!(!live.interrupted);
        assert!(
            live.owner.starts_with("the BucketForge window"),
            "{}",
            live.owner
        );
        assert_eq!(live.ttl_secs, 600);
    }

    #[tokio::test]
    async fn a_page_lists_projects_with_their_records_and_says_why_one_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let store = session.store().await.unwrap();
        seed(
            &store,
            &key_of(&session, "alpha"),
            Some(manifest("alpha", "complete")),
        )
        .await;
        seed(&store, &key_of(&session, "beta"), None).await;
        let page = session.projects_page(None, None).await.unwrap();
        assert_eq!(page.next_page, None);
        let slugs: Vec<&str> = page.projects.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, ["alpha", "beta"]);
        assert_eq!(page.projects[0].name, "Name of alpha");
        assert_eq!(page.projects[0].status, Some(ProjectStatus::Complete));
        assert!(page.projects[0].problem.is_none());
        assert_eq!(page.projects[1].status, None);
        let problem = page.projects[1].problem.as_ref().unwrap();
        assert_eq!(problem.code, "manifest_missing");
        assert!(
            problem.message.contains("no record yet"),
            "{}",
            problem.message
        );
        // A search keeps the projects whose short name starts with it, typed any way.
        let found = session.projects_page(None, Some("  BE")).await.unwrap();
        let slugs: Vec<&str> = found.projects.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, ["beta"]);
    }

    #[tokio::test]
    async fn a_file_is_read_as_text_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let store = session.store().await.unwrap();
        seed(&store, &key_of(&session, "alpha"), None).await;
        let file = session.project_file("alpha", "README.md").await.unwrap();
        assert_eq!(file.text, "# Hello\n");
        assert_eq!(file.bytes, 8);
        let missing = session.project_file("alpha", "nope.md").await.unwrap_err();
        assert_eq!(missing.code(), "file_not_found");
        let climbing = session.project_file("alpha", "../x.md").await.unwrap_err();
        assert_eq!(climbing.code(), "invalid_path");
    }

    #[tokio::test]
    async fn a_project_a_live_run_is_writing_is_deleted_only_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let store = session.store().await.unwrap();
        let key = key_of(&session, "busy");
        seed(&store, &key, Some(held("busy"))).await;
        let refused = session.delete("busy", false).await.unwrap_err();
        assert_eq!(refused.code(), "project_busy");
        assert!(
            store.read_manifest(&key).await.unwrap().is_some(),
            "nothing was deleted"
        );
        assert_eq!(session.delete("busy", true).await.unwrap(), 2);
        assert!(store.read_manifest(&key).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn share_links_live_at_least_a_minute_and_at_most_a_week() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let store = session.store().await.unwrap();
        seed(&store, &key_of(&session, "alpha"), None).await;
        let short = session.share_link("alpha", "README.md", 1).await.unwrap();
        assert_eq!(short.expires_in_secs, 60);
        assert!(
            short.this_computer_only,
            "a built-in bucket link works only here"
        );
        let long = session
            .share_link("alpha", "README.md", u64::MAX)
            .await
            .unwrap();
        assert_eq!(long.expires_in_secs, MAX_SHARE_SECS);
        assert!(long.url.contains("README.md"), "{}", long.url);
    }

    #[test]
    fn a_typed_name_resolves_to_a_short_name_by_one_rule() {
        let resolved = |typed: &str| resolve_slug(typed).map(|s| s.to_string());
        assert_eq!(resolved("My App").unwrap(), "my-app");
        assert_eq!(resolved("  my-app ").unwrap(), "my-app");
        // A valid short name is never rewritten, even one slugify would not produce.
        assert_eq!(resolved("todo--app").unwrap(), "todo--app");
        assert_eq!(resolved("Список дел").unwrap(), "spisok-del");
        assert_eq!(
            resolved("🚀✨").unwrap(),
            slugify("🚀✨").unwrap().to_string()
        );
        assert_eq!(resolved("   ").unwrap_err().code(), "invalid_name");
    }

    #[tokio::test]
    async fn every_project_command_finds_the_project_by_the_name_typed() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let store = session.store().await.unwrap();
        seed(
            &store,
            &key_of(&session, "my-app"),
            Some(manifest("my-app", "complete")),
        )
        .await;
        seed(&store, &key_of(&session, "todo--app"), None).await;

        let details = session.project("My App").await.unwrap();
        assert_eq!(details.slug, "my-app");
        assert_eq!(session.project("my-app").await.unwrap().slug, "my-app");
        assert_eq!(
            session.project("todo--app").await.unwrap().slug,
            "todo--app"
        );
        let file = session.project_file("My App", "README.md").await.unwrap();
        assert_eq!(file.text, "# Hello\n");
        assert!(session.share_link("My App", "README.md", 60).await.is_ok());
        let zip = dir.path().join("my-app.zip");
        let exported = session.export("My App", &zip, false).await.unwrap();
        assert!(exported.complete && zip.exists());
        assert_eq!(
            session.project_key("My App").unwrap(),
            key_of(&session, "my-app")
        );
        let slugs: Vec<String> = session
            .all_projects()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.slug.to_string())
            .collect();
        assert_eq!(slugs, ["my-app", "todo--app"]);
        assert!(session.delete("My App", false).await.unwrap() > 0);
        assert_eq!(
            session.project("My App").await.unwrap_err().code(),
            "project_not_found"
        );
    }
}
