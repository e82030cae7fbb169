// Generated from the engine's limits.rs by `cargo test`; do not edit.
import type { Limits } from "./Limits";

export const LIMITS: Limits = {
  "concurrency": {
    "min": 1,
    "max": 16,
    "default": 6
  },
  "max_name_chars": 63,
  "max_planned_files": 60,
  "max_file_bytes": 262144
};
