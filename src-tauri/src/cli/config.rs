//! `bucketforge config`: the saved settings, and the secrets in the OS keyring (set, never shown).

use std::io::Read;

use bucketforge_engine::session::{SecretSlot, Session};
use bucketforge_engine::{Error, Result};
use secrecy::SecretString;
use serde_json::json;

use crate::cli::args::ConfigCommand;
use crate::cli::output::print_json;

pub async fn run(session: Session, json: bool, action: ConfigCommand) -> Result<()> {
    match action {
        ConfigCommand::Show => {
            let view = session.settings_view().await;
            if let Some(e) = &view.settings_error {
                eprintln!("warning: {}", e.message);
            }
            let keys: Vec<(String, bool)> = SecretSlot::all()
                .iter()
                .map(|slot| (slot.id(), view.secrets.is_set(slot)))
                .collect();
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
                print_json(json!(view.settings));
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
            settings.set_by_name(&key, &value)?;
            session.save_settings(settings).await?;
            if !json {
                println!("Saved {key}.");
            }
        }
        ConfigCommand::SetSecret { name } => {
            let slot: SecretSlot = name.parse()?;
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
            session.delete_secret(&name.parse()?).await?;
            if !json {
                println!("Removed {name} from the system keyring.");
            }
        }
    }
    Ok(())
}
