//! Everything that touches S3: the key layout, the object store and the project manifest.

pub mod config;
pub mod content_type;
pub mod export;
mod failure;
pub mod keys;
pub mod lease;
pub mod local;
pub mod manifest;
pub mod object_store;
mod owner;

pub use config::{
    default_user, resolve_store_config, ConnectionPolicy, StoreConfig, StoreConfigLayer,
    StoreCredentials, DEFAULT_REGION,
};
pub use content_type::content_type_for;
pub use export::{export_project, ExportSummary};
pub use keys::{slugify, ProjectKey, ProjectPath, Slug, UserId};
pub use lease::{Lease, LeaseState};
pub use local::{random_credentials, LocalBucket, LocalBucketOptions, LOCAL_BUCKET};
pub use manifest::{Manifest, ManifestFile, ProjectStatus, TokenUsage, MANIFEST_SCHEMA_VERSION};
pub use object_store::{
    ConditionalWrites, ConnectionReport, ETag, FileHead, FileSource, ManifestPrecondition,
    ObjectStore, PageToken, ProjectFile, ProjectFiles, ProjectPage, ProjectSummary, PutReceipt,
    StoredFile, MAX_PAGE_SIZE, MAX_READ_BYTES,
};
