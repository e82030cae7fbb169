//! `bucketforge config`: the saved settings, and the secrets in the OS keyring (set, never shown).

use std::io::Read;

use bucketforge_engine::llm::ProviderKind;
use bucketforge_engine::session::{Overrides, SecretSlot};
use bucketforge_engine::settings::{Settings, StorageKind};
use bucketforge_engine::store::UserId;
use bucketforge_engine::{Error, Result};
use clap::Subcommand;
use secrecy::SecretString;
use serde_json::json;

use crate::cli::{print_json, session, StorageArgs};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the settings; secrets only as "set" or "not set"
    Show,
    /// Change one setting, e.g. `config set storage.bucket my-apps`
    Set {
        /// storage.kind, storage.bucket, storage.region, storage.endpoint, storage.path_style,
        /// storage.access_key_id, storage.aws_profile, user_id, llm.provider, llm.model,
        /// llm.base_url or concurrency
        key: String,
        value: String,
    },
    /// Save a secret in the OS keyring, read from standard input
    SetSecret {
        /// s3-secret-key, or <provider>-api-key (openai-api-key, anthropic-api-key, …)
        name: String,
    },
    /// Remove a secret from the OS keyring
    DeleteSecret { name: String },
}

fn slot(name: &str) -> Result<SecretSlot> {
    if name == "s3-secret-key" {
        return Ok(SecretSlot::StorageSecretKey);
    }
    if let Some(provider) = name.strip_suffix("-api-key") {
        if let Ok(provider) = provider.parse::<ProviderKind>() {
            return Ok(SecretSlot::LlmApiKey { provider });
        }
    }
    Err(Error::InvalidSettings {
        reason: format!(
            "there is no secret called “{name}”; use s3-secret-key or one of {}",
            ProviderKind::ALL
                .iter()
                .map(|k| format!("{}-api-key", k.id()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Applies `key = value` to the settings.
pub fn set(settings: &mut Settings, key: &str, value: &str) -> Result<()> {
    let invalid = |reason: String| Error::InvalidSettings { reason };
    let flag = |v: &str| match v {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(invalid(format!("{key} is true or false, not “{v}”"))),
    };
    match key {
        "storage.kind" => {
            settings.storage.kind = match value {
                "local" => StorageKind::Local,
                "amazon-s3" => StorageKind::AmazonS3,
                "s3-compatible" => StorageKind::S3Compatible,
                "aws-profile" => StorageKind::AwsProfile,
                _ => {
                    return Err(invalid(format!(
                    "storage.kind is local, amazon-s3, s3-compatible or aws-profile, not “{value}”"
                )))
                }
            }
        }
        "storage.bucket" => settings.storage.bucket = value.into(),
        "storage.region" => settings.storage.region = value.into(),
        "storage.endpoint" => settings.storage.endpoint = value.into(),
        "storage.path_style" => settings.storage.path_style = flag(value)?,
        "storage.access_key_id" => settings.storage.access_key_id = value.into(),
        "storage.aws_profile" => settings.storage.aws_profile = value.into(),
        "user_id" => settings.user_id = Some(UserId::new(value)?),
        "llm.provider" => settings.llm.provider = value.parse()?,
        "llm.model" => settings.llm.model = value.into(),
        "llm.base_url" => settings.llm.base_url = value.into(),
        "concurrency" => {
            settings.concurrency = value
                .parse()
                .map_err(|_| invalid(format!("concurrency is a number, not “{value}”")))?
        }
        _ => return Err(invalid(format!("there is no setting called “{key}”"))),
    }
    Ok(())
}

pub async fn run(storage: &StorageArgs, json: bool, action: ConfigCommand) -> Result<()> {
    let session = session(storage, Overrides::default())?;
    match action {
        ConfigCommand::Show => {
            let view = session.settings_view().await;
            if let Some(e) = &view.settings_error {
                eprintln!("warning: {}", e.message);
            }
            let mut keys: Vec<(String, bool)> =
                vec![("s3-secret-key".into(), view.secrets.storage_secret_key)];
            for kind in ProviderKind::ALL {
                keys.push((
                    format!("{}-api-key", kind.id()),
                    view.secrets.llm_api_keys.contains(&kind),
                ));
            }
            if json {
                let secrets: serde_json::Map<String, serde_json::Value> = keys
                    .iter()
                    .map(|(k, set)| (k.clone(), json!(if *set { "set" } else { "not set" })))
                    .collect();
                print_json(json!({
                    "file": session.settings_file().path(),
                    "settings": view.settings,
                    "user_id": session.user()?,
                    "secrets": secrets,
                    "keyring_error": view.secrets.keyring_error,
                }));
            } else {
                println!(
                    "Settings file: {}",
                    session.settings_file().path().display()
                );
                crate::cli::print_json(serde_json::json!(view.settings));
                println!("User ID in use: {}", session.user()?);
                match &view.secrets.keyring_error {
                    Some(e) => println!("Secrets: unknown ({})", e.message),
                    None => {
                        for (name, set) in keys {
                            println!("{name}: {}", if set { "set" } else { "not set" });
                        }
                    }
                }
            }
        }
        ConfigCommand::Set { key, value } => {
            let mut settings = session.settings();
            set(&mut settings, &key, &value)?;
            session.save_settings(settings).await?;
            if !json {
                println!("Saved {key}.");
            }
        }
        ConfigCommand::SetSecret { name } => {
            let slot = slot(&name)?;
            let mut value = String::new();
            std::io::stdin()
                .read_to_string(&mut value)
                .map_err(|e| Error::InvalidSettings {
                    reason: format!("the secret could not be read from standard input ({e})"),
                })?;
            let value = SecretString::from(value.trim_end_matches(['\r', '\n']).to_string());
            session.set_secret(&slot, &value).await?;
            if !json {
                println!("Saved {name} in the system keyring.");
            }
        }
        ConfigCommand::DeleteSecret { name } => {
            session.delete_secret(&slot(&name)?).await?;
            if !json {
                println!("Removed {name} from the system keyring.");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_set_by_dotted_name() {
        let mut s = Settings::default();
        set(&mut s, "storage.kind", "s3-compatible").unwrap();
        set(&mut s, "storage.path_style", "yes").unwrap();
        set(&mut s, "llm.provider", "anthropic").unwrap();
        set(&mut s, "user_id", "jane").unwrap();
        assert_eq!(s.storage.kind, StorageKind::S3Compatible);
        assert!(s.storage.path_style);
        assert_eq!(s.llm.provider, ProviderKind::Anthropic);
        assert_eq!(s.user_id.unwrap().as_str(), "jane");
    }

    #[test]
    fn unknown_names_and_bad_values_are_refused_with_the_reason() {
        let mut s = Settings::default();
        assert!(set(&mut s, "storage.colour", "red")
            .unwrap_err()
            .to_string()
            .contains("storage.colour"));
        assert!(set(&mut s, "concurrency", "many").is_err());
        assert!(set(&mut s, "user_id", "Not Valid").is_err());
        assert!(slot("openai-api-key").is_ok());
        assert!(slot("s3-secret-key").is_ok());
        assert!(slot("password")
            .unwrap_err()
            .to_string()
            .contains("anthropic-api-key"));
    }
}
