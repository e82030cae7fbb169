//! What a request cost, estimated from a table of list prices for well-known models.

use serde::Serialize;

use super::{ProviderKind, Usage};

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelPrice {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

/// Standard (not batch, not cached) list prices. Prices change: update this table when a
/// provider changes its price list, and add models as they become popular.
const PRICES: &[(&str, f64, f64)] = &[
    // OpenAI
    ("gpt-5", 1.25, 10.0),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("o3", 2.0, 8.0),
    ("o3-mini", 1.10, 4.40),
    ("o4-mini", 1.10, 4.40),
    // Anthropic
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4-0", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-sonnet-4-0", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-5-haiku", 0.80, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    // Google
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-flash-lite", 0.10, 0.40),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.0-flash-lite", 0.075, 0.30),
    // DeepSeek, often used through OpenRouter
    ("deepseek-chat", 0.27, 1.10),
];

/// The price of a model by its id as any provider spells it: `gpt-4o-2024-08-06`,
/// `anthropic/claude-sonnet-4.5`, `models/gemini-2.5-flash`, `claude-3-5-haiku-latest`.
pub fn model_price(model: &str) -> Option<ModelPrice> {
    let wanted = normalise(model);
    PRICES
        .iter()
        .filter(|(id, _, _)| {
            let id = normalise(id);
            wanted == id
                || wanted
                    .strip_prefix(id.as_str())
                    .is_some_and(is_version_suffix)
        })
        .max_by_key(|(id, _, _)| id.len())
        .map(|&(_, input, output)| ModelPrice {
            input_per_million: input,
            output_per_million: output,
        })
}

/// Lower case, vendor prefix dropped, dots as dashes (`claude-sonnet-4.5` is `claude-sonnet-4-5`).
fn normalise(model: &str) -> String {
    let name = model.rsplit('/').next().unwrap_or(model);
    name.trim().to_ascii_lowercase().replace('.', "-")
}

/// Dated snapshots and aliases of a model cost what the model costs; other suffixes name a
/// different model (`gpt-4o` is not `gpt-4o-mini`).
fn is_version_suffix(rest: &str) -> bool {
    let Some(rest) = rest.strip_prefix('-') else {
        return false;
    };
    if rest == "latest" {
        return true;
    }
    let digits: String = rest.chars().filter(|c| *c != '-').collect();
    digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())
}

/// The estimated cost in US dollars of one request, or `None` for a model not in the table.
pub fn estimate_cost(model: &str, usage: &Usage) -> Option<f64> {
    let price = model_price(model)?;
    Some(
        usage.prompt_tokens as f64 * price.input_per_million / 1e6
            + usage.completion_tokens as f64 * price.output_per_million / 1e6,
    )
}

/// Like `estimate_cost`, knowing that a model on the user's own machine costs nothing.
pub fn estimate_cost_for(kind: ProviderKind, model: &str, usage: &Usage) -> Option<f64> {
    if kind.preset().local {
        return Some(0.0);
    }
    estimate_cost(model, usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(prompt: u64, completion: u64) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            estimated: false,
        }
    }

    #[test]
    fn cost_is_prompt_and_completion_tokens_at_the_listed_prices() {
        let cost = estimate_cost("gpt-4o-mini", &usage(1_000_000, 500_000)).unwrap();
        assert!((cost - (0.15 + 0.30)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn dated_snapshots_and_vendor_prefixes_find_their_model() {
        let sonnet = model_price("claude-sonnet-4-5").unwrap();
        assert_eq!(model_price("claude-sonnet-4-5-20250929"), Some(sonnet));
        assert_eq!(model_price("anthropic/claude-sonnet-4.5"), Some(sonnet));
        assert_eq!(
            model_price("gpt-4o-2024-08-06"),
            model_price("gpt-4o"),
            "a dated snapshot"
        );
        assert_eq!(
            model_price("models/gemini-2.5-flash"),
            model_price("gemini-2.5-flash")
        );
        assert_eq!(
            model_price("claude-3-5-haiku-latest"),
            model_price("claude-3-5-haiku")
        );
    }

    #[test]
    fn a_longer_model_name_is_not_priced_as_its_prefix() {
        assert_ne!(model_price("gpt-4o-mini"), model_price("gpt-4o"));
        assert_ne!(model_price("gpt-4.1-mini"), model_price("gpt-4.1"));
        assert_eq!(model_price("gpt-4o-audio-preview"), None);
        assert_eq!(model_price("claude-sonnet-4-7"), None);
    }

    #[test]
    fn unknown_models_have_no_cost_estimate() {
        assert_eq!(estimate_cost("my-finetune", &usage(10, 10)), None);
    }

    #[test]
    fn local_models_cost_nothing() {
        assert_eq!(
            estimate_cost_for(ProviderKind::Ollama, "qwen2.5-coder:7b", &usage(10, 10)),
            Some(0.0)
        );
        assert_eq!(
            estimate_cost_for(ProviderKind::OpenAi, "my-finetune", &usage(10, 10)),
            None
        );
    }
}
