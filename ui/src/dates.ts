// Dates and durations from the engine (RFC 3339, milliseconds) in the user's own format.

/** A locale and a time zone; either left out means the user's own, as the system reports it. */
export interface DateSetting {
  locale?: string;
  timeZone?: string;
}

let shownIn: DateSetting = {};

/**
 * Shows dates in `setting` from now on. The app never calls it, since the system already knows the
 * user's locale and zone; the tests pin both, so the text they expect is the same on every machine.
 * Node reads its default locale from LANG only when the process starts, so no test setting of
 * the environment could pin it.
 */
export function showDatesIn(setting: DateSetting): void {
  shownIn = setting;
}

/** "1 Mar 2026, 10:00" in the user's locale and time zone; the raw text if it can't be read. */
export function formatDate(rfc3339: string | null, setting: DateSetting = shownIn): string {
  if (!rfc3339) return "—";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(setting.locale, { dateStyle: "medium", timeStyle: "short", timeZone: setting.timeZone });
}

/** "just now", "12 s ago", "3 min ago", "2 h ago": how long since something happened, in whole units. */
export function formatAgo(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 5) return "just now";
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}
