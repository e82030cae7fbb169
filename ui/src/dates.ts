// Dates and durations from the engine (RFC 3339, milliseconds) in the user's own format.

/** "1 Mar 2026, 10:00" in the user's locale; the raw text if it can't be read. */
export function formatDate(rfc3339: string | null): string {
  if (!rfc3339) return "—";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
