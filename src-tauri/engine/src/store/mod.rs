//! Everything that touches S3: the key layout, the object store and the project manifest.

mod check;
pub mod config;
pub mod content_type;
mod delete;
pub mod export;
mod failure;
pub mod keys;
pub mod lease;
mod listing;
pub mod local;
pub mod manifest;
mod manifest_io;
pub mod object_store;
mod owner;
pub mod policy;
pub mod revisions;

pub use check::ConnectionReport;
pub use config::{
    default_user, resolve_store_config, ConnectionPolicy, StoreConfig, StoreConfigLayer,
    StoreCredentials, DEFAULT_REGION, LOCAL_BUCKET,
};
pub use content_type::content_type_for;
pub use export::{export_project, ExportSummary};
pub use keys::{slugify, ProjectKey, ProjectPath, Slug, UserId};
pub use lease::{Lease, LeaseState};
pub use listing::{
    FileSource, PageToken, ProjectFile, ProjectFiles, ProjectPage, ProjectSummary, MAX_PAGE_SIZE,
};
pub use local::{random_credentials, LocalBucket, LocalBucketOptions};
pub use manifest::{
    Manifest, ManifestFile, PendingChange, ProjectStatus, RevisionKind, TokenUsage,
    MANIFEST_SCHEMA_VERSION,
};
pub use manifest_io::ManifestPrecondition;
pub use object_store::{
    ConditionalWrites, ETag, FileHead, ObjectStore, PutReceipt, StoredFile, MAX_READ_BYTES,
};
pub use policy::{team_policy, TeamPolicy};
pub use revisions::{
    file_changes, line_counts, sha256_hex, FileChange, FileChangeKind, Revision, RevisionFile,
    REVISION_SCHEMA_VERSION,
};
