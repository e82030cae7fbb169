//! The least-privilege IAM policy for one person on a shared bucket: everything BucketForge does
//! inside `projects/{user}/`, and nothing outside it. S3 enforces it, not the app.

use serde::Serialize;

use super::keys::{ProjectKey, UserId};
use crate::{Error, Result};

/// Every S3 action BucketForge performs on objects: reading, writing and deleting files and
/// records, server-side copies (a copy is a read of the source and a write of the target), and
/// cleaning up an upload that stopped half-way.
pub const OBJECT_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
];

/// One person's policy, with what to do with it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TeamPolicy {
    pub user: String,
    pub bucket: String,
    /// The prefix the person is confined to: `projects/{user}/`.
    pub prefix: String,
    /// The IAM policy document, pretty-printed.
    pub policy: String,
    /// Where to paste it, in plain sentences.
    pub steps: Vec<String>,
    /// What other storage services can do instead.
    pub other_stores: Vec<String>,
}

/// The IAM policy document confining `user` to `projects/{user}/` in `bucket`.
pub fn policy_document(bucket: &str, user: &UserId) -> Result<serde_json::Value> {
    check_bucket_name(bucket)?;
    let prefix = ProjectKey::user_prefix(user);
    Ok(serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnProjects",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": { "StringLike": { "s3:prefix": [prefix.clone(), format!("{prefix}*")] } }
            },
            {
                "Sid": "ReadWriteOwnProjects",
                "Effect": "Allow",
                "Action": OBJECT_ACTIONS,
                "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*")
            }
        ]
    }))
}

/// The policy for `user` with the sentences that go with it.
pub fn team_policy(bucket: &str, user: &UserId) -> Result<TeamPolicy> {
    let document = policy_document(bucket, user)?;
    let prefix = ProjectKey::user_prefix(user);
    let user = user.as_str();
    let policy = serde_json::to_string_pretty(&document).unwrap_or_default();
    Ok(TeamPolicy {
        steps: vec![
            format!(
                "Give {user} an access key of their own: in the AWS console, open IAM → Users, \
                 create the user “bucketforge-{user}” and an access key for it."
            ),
            format!(
                "On that user's Permissions tab choose Add permissions → Create inline policy → JSON, \
                 paste this policy and save it; or run `aws iam put-user-policy --user-name bucketforge-{user} \
                 --policy-name bucketforge --policy-document file://policy.json`."
            ),
            format!(
                "In BucketForge on {user}'s computer, enter that key and set the user id to “{user}”: \
                 S3 then refuses anything outside {prefix}, whatever the app is asked to do."
            ),
        ],
        other_stores: vec![
            "MinIO accepts this same policy: add it with `mc admin policy create`, then attach it to the person's user.".into(),
            "Garage has no prefix policies: a key is allowed a whole bucket or nothing. To keep people apart on Garage, give each one a bucket of their own.".into(),
        ],
        user: user.to_string(),
        bucket: bucket.to_string(),
        prefix,
        policy,
    })
}

/// A bucket name as S3 allows it, so the policy's ARNs name exactly that bucket.
fn check_bucket_name(bucket: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidName {
            what: "bucket name",
            value: bucket.to_string(),
            reason,
        })
    };
    if !(3..=63).contains(&bucket.len()) {
        return invalid("bucket names are 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return invalid("only lowercase letters, digits, “.” and “-” are allowed");
    }
    let ends_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ends_ok(bucket.bytes().next()) || !ends_ok(bucket.bytes().last()) {
        return invalid("it must start and end with a lowercase letter or a digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserId {
        UserId::new(name).unwrap()
    }

    #[test]
    fn the_policy_confines_each_person_to_their_prefix() {
        for (bucket, name) in [
            ("team-projects", "alice"),
            ("class.2026", "bob-2"),
            ("abc", "0"),
        ] {
            let doc = policy_document(bucket, &user(name)).unwrap();
            // Valid JSON, and back: what is printed parses to the same document.
            let printed = team_policy(bucket, &user(name)).unwrap().policy;
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&printed).unwrap(),
                doc
            );
            assert_eq!(doc["Version"], "2012-10-17");
            let statements = doc["Statement"].as_array().unwrap();
            assert_eq!(statements.len(), 2);

            let list = &statements[0];
            assert_eq!(list["Effect"], "Allow");
            assert_eq!(list["Action"], "s3:ListBucket");
            assert_eq!(list["Resource"], format!("arn:aws:s3:::{bucket}"));
            let prefixes = &list["Condition"]["StringLike"]["s3:prefix"];
            assert_eq!(
                prefixes,
                &serde_json::json!([format!("projects/{name}/"), format!("projects/{name}/*")])
            );

            let objects = &statements[1];
            assert_eq!(objects["Effect"], "Allow");
            assert_eq!(
                objects["Resource"],
                format!("arn:aws:s3:::{bucket}/projects/{name}/*")
            );
            let actions: Vec<&str> = objects["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            for needed in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
                assert!(actions.contains(&needed), "{needed} in {actions:?}");
            }
            // Nothing bucket-wide, and no wildcard action.
            assert!(!printed.contains("s3:*"), "{printed}");
            assert!(
                !printed.contains(&format!("arn:aws:s3:::{bucket}/*\"")),
                "{printed}"
            );
        }
    }

    /// What IAM does with the condition (moto doesn't evaluate conditions), as StringLike reads
    /// it: `*` matches any run of characters.
    #[test]
    fn the_list_condition_matches_only_the_persons_prefix() {
        let doc = policy_document("team", &user("alice")).unwrap();
        let patterns: Vec<String> = doc["Statement"][0]["Condition"]["StringLike"]["s3:prefix"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        let allowed = |asked: &str| patterns.iter().any(|p| string_like(p, asked));
        for asked in [
            "projects/alice/",
            "projects/alice/todo/",
            "projects/alice/todo/.bucketforge/manifest.json",
        ] {
            assert!(allowed(asked), "{asked}");
        }
        for asked in [
            "",
            "projects/",
            "projects/bob/",
            "projects/alicex/",
            "projects/alice",
            "other/projects/alice/",
        ] {
            assert!(!allowed(asked), "{asked}");
        }
    }

    /// IAM's StringLike: `*` matches any run of characters, `?` any one character.
    fn string_like(pattern: &str, value: &str) -> bool {
        match pattern.split_once('*') {
            None => pattern.len() == value.len() && matches_plain(pattern, value),
            Some((head, tail)) => {
                value.len() >= head.len()
                    && matches_plain(head, &value[..head.len()])
                    && (0..=value.len() - head.len())
                        .any(|skip| string_like(tail, &value[head.len() + skip..]))
            }
        }
    }

    fn matches_plain(pattern: &str, value: &str) -> bool {
        pattern.len() == value.len()
            && pattern
                .bytes()
                .zip(value.bytes())
                .all(|(p, v)| p == b'?' || p == v)
    }

    #[test]
    fn a_bucket_name_s3_would_refuse_is_refused_in_words() {
        for bad in [
            "ab",
            "Team",
            "team_projects",
            "-team",
            "team.",
            "a\"b",
            "t*",
        ] {
            let err = policy_document(bad, &user("alice"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("can't be used as a bucket name"),
                "{bad}: {err}"
            );
        }
    }
}
