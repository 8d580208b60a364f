export const REDACTED = '[redacted]';

/** Very short values would redact ordinary words; secrets are never that short in practice. */
const MIN_SECRET_LENGTH = 4;

/**
 * The spellings a secret takes in text the app builds: as it is, URL-encoded (a query string) and
 * escaped inside a JSON string (a vendor's JSON answer quoting it back), so a secret holding `"`, `\`,
 * a newline or a non-ASCII letter is found in each.
 */
const formsOf = (secret: string): string[] =>
  // Longest first: a secret ending in `%` is a prefix of its own encoding (`%25`), which must go whole.
  [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])].sort((a, b) => b.length - a.length);

/** Replaces every occurrence of each secret, in each of its spellings, in `text`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of formsOf(secret)) out = out.split(form).join(REDACTED);
  }
  return out;
}
