// A project name's short name exactly as the engine derives it, so the Generate screen can show it live.

import { LIMITS } from "./bindings/userLimits";

const MAX_SLUG_LEN = LIMITS.max_name_chars;
const COMBINING_MARK = /\p{M}/u;
const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]$/;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/**
 * The engine's `slugify` for names in Latin letters: NFKD, accents dropped, lowercase, every
 * run of anything else than A–Z/0–9 becomes one "-", no "-" at either end, at most 63
 * characters. Returns null when the engine has to make the short name itself: it transliterates
 * other scripts (Список → spisok) and names a project of only symbols `app-<hash>`, and a guess
 * here would show a name the project won't get.
 */
export function slugify(name: string): string | null {
  let out = "";
  let pendingDash = false;
  for (const c of name.normalize("NFKD")) {
    if (COMBINING_MARK.test(c)) continue;
    if (!ASCII_ALPHANUMERIC.test(c) && LETTER_OR_DIGIT.test(c)) return null;
    if (ASCII_ALPHANUMERIC.test(c)) {
      if (pendingDash && out.length > 0) out += "-";
      pendingDash = false;
      out += c.toLowerCase();
      if (out.length >= MAX_SLUG_LEN) break;
    } else {
      pendingDash = true;
    }
  }
  while (out.length > MAX_SLUG_LEN || out.endsWith("-")) out = out.slice(0, -1);
  return out.length > 0 ? out : null;
}

const VALID_NAME = new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_SLUG_LEN - 1}}$`);

/** Whether `value` is a valid user ID or short name: `[a-z0-9][a-z0-9-]{0,62}`. */
export function isValidName(value: string): boolean {
  return VALID_NAME.test(value);
}
