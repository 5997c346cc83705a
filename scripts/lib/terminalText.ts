/**
 * Text that came from a token (or any untrusted input) on its way to a terminal: control characters, bidi
 * overrides and invisible characters are shown as escapes (`\u001b`), never sent as they are, so a claim cannot
 * move the cursor, recolour the output, hide text or reorder what the reader sees.
 */

// C0 and C1 controls (tab and line breaks included: one value stays one line), DEL, bidi controls and marks
// (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069), zero-width and invisible characters (U+200B-U+200D, U+2060,
// U+FEFF), line and paragraph separators (U+2028/U+2029).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The latest/earliest instant a JavaScript Date holds: 8.64e15 ms (ECMA-262, Time Values and Time Range). */
const MAX_EPOCH_SECONDS = 8.64e12;

/** Whether a NumericDate (seconds since 1970) is a time at all: finite and within Date's range. */
export function isRealTime(seconds: number): boolean {
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_EPOCH_SECONDS;
}

/** `2026-12-02T07:00:00Z (in 2 min)`; a value outside any real time is shown as it is, never thrown on. */
export function when(seconds: number, now: Date): string {
  if (!isRealTime(seconds)) return `${String(seconds)} (not a real time)`;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const delta = Math.round(seconds - now.getTime() / 1000);
  const span = (s: number) =>
    s < 120
      ? `${s} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} days`;
  return `${iso} (${delta >= 0 ? `in ${span(delta)}` : `${span(-delta)} ago`})`;
}
