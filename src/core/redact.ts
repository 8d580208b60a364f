export const REDACTED = '[redacted]';

/** Very short values would redact ordinary words; secrets are never that short in practice. */
const MIN_SECRET_LENGTH = 4;

/**
 * The spellings a secret takes in text the app builds: as it is, URL-encoded (a query string) and
 * escaped inside a JSON string as the usual writers escape it (a vendor's JSON answer quoting it back),
 * so a secret holding `"`, `\`, `/`, a newline or a non-ASCII letter is found in each.
 */
const formsOf = (secret: string): string[] => {
  const json = JSON.stringify(secret).slice(1, -1);
  // Other JSON writers escape every non-ASCII character (`\u00e4`, Python's default) or the slash (`\/`, PHP's).
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const spellings = [secret, encodeURIComponent(secret), json, ascii, json.replace(/\//g, '\\/'), ascii.replace(/\//g, '\\/')];
  // Longest first: a secret ending in `%` is a prefix of its own encoding (`%25`), which must go whole.
  return [...new Set(spellings)].sort((a, b) => b.length - a.length);
};

/**
 * A function that replaces every occurrence of each secret, in each of its spellings: the spellings are
 * worked out once, for a logger that redacts every field of every line it writes with the same secrets.
 */
export function redactorOf(secrets: Iterable<string>): (text: string) => string {
  const forms = [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH).map(formsOf);
  return (text) => {
    let out = text;
    for (const spellings of forms) for (const form of spellings) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

/** Replaces every occurrence of each secret, in each of its spellings, in `text`. */
export function redact(text: string, secrets: Iterable<string>): string {
  return redactorOf(secrets)(text);
}
