// The UI's only door to Rust: every command goes through a typed function here.
import { invoke } from "@tauri-apps/api/core";

/** The shape every failing command rejects with. */
export interface CommandError {
  code: string;
  message: string;
}

/** Turns whatever a command rejected with into words a person can act on. */
export function errorMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    return String((error as CommandError).message);
  }
  if (typeof error === "string") return error;
  return "Something went wrong inside BucketForge. Please restart the app and try again.";
}

/** The app's version, as the Rust side reports it. */
export function version(): Promise<string> {
  return invoke<string>("version");
}
