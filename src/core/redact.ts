export const REDACTED = '[redacted]';

/** Very short values would redact ordinary words; secrets are never that short in practice. */
const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret (and its URL-encoded form) in `text`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}
