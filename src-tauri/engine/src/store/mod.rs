//! Everything that touches S3: the key layout, the object store and the project manifest.

pub mod keys;
pub mod manifest;

pub use keys::{slugify, ProjectKey, ProjectPath, Slug, UserId};
pub use manifest::{Manifest, ManifestFile, ProjectStatus, TokenUsage, MANIFEST_SCHEMA_VERSION};
