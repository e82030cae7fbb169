//! The limits people meet in the window and the CLI, written once. The UI reads the same
//! numbers from `ui/src/bindings/userLimits.ts`.

use serde::Serialize;
use ts_rs::TS;

/// Files written at once: the fewest a user may choose.
pub const MIN_CONCURRENCY: u32 = 1;
/// Files written at once: the most a user may choose.
pub const MAX_CONCURRENCY: u32 = 16;
/// Files written at once when nobody chose.
pub const DEFAULT_CONCURRENCY: u32 = 6;
/// Files written at once, as the range an argument parser checks (clap's ranges are `i64`).
pub const CONCURRENCY_RANGE: std::ops::RangeInclusive<i64> =
    MIN_CONCURRENCY as i64..=MAX_CONCURRENCY as i64;
/// The longest user ID or project short name (slug), in characters.
pub const MAX_NAME_CHARS: usize = 63;
/// The most files one plan may ask for.
pub const MAX_PLANNED_FILES: usize = 60;
/// The largest file the AI may write, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// The fewest, the most and the default of a number a user picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Range {
    pub min: u32,
    pub max: u32,
    pub default: u32,
}

/// The limits, as the UI sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Limits {
    /// Files written at once.
    pub concurrency: Range,
    pub max_name_chars: u32,
    pub max_planned_files: u32,
    pub max_file_bytes: u32,
}

pub const LIMITS: Limits = Limits {
    concurrency: Range {
        min: MIN_CONCURRENCY,
        max: MAX_CONCURRENCY,
        default: DEFAULT_CONCURRENCY,
    },
    max_name_chars: MAX_NAME_CHARS as u32,
    max_planned_files: MAX_PLANNED_FILES as u32,
    max_file_bytes: MAX_FILE_BYTES as u32,
};

/// `concurrency` brought into the range a user may choose.
pub fn clamp_concurrency(concurrency: u32) -> u32 {
    concurrency.clamp(MIN_CONCURRENCY, MAX_CONCURRENCY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_concurrency_is_one_a_user_could_choose() {
        assert!((MIN_CONCURRENCY..=MAX_CONCURRENCY).contains(&DEFAULT_CONCURRENCY));
        assert_eq!(clamp_concurrency(0), MIN_CONCURRENCY);
        assert_eq!(clamp_concurrency(MAX_CONCURRENCY + 1), MAX_CONCURRENCY);
        assert_eq!(clamp_concurrency(DEFAULT_CONCURRENCY), DEFAULT_CONCURRENCY);
    }

    #[test]
    fn the_ui_gets_the_same_numbers() {
        let json = serde_json::to_value(LIMITS).unwrap();
        assert_eq!(json["concurrency"]["max"], MAX_CONCURRENCY);
        assert_eq!(json["max_name_chars"], MAX_NAME_CHARS);
        assert_eq!(json["max_file_bytes"], MAX_FILE_BYTES);
    }

    /// Writes the limits for the UI beside ts-rs's bindings, as `cargo test` does for types.
    #[test]
    fn export_the_limits_to_typescript() {
        let json = serde_json::to_string_pretty(&LIMITS).unwrap();
        let text = format!(
            "// Generated from the engine's limits.rs by `cargo test`; do not edit.\n\
             import type {{ Limits }} from \"./Limits\";\n\n\
             export const LIMITS: Limits = {json};\n"
        );
        crate::bindings::write("userLimits.ts", &text);
    }
}
