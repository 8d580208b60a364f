import fc from 'fast-check';
import { createLogger } from '../../src/core/log';
import { REDACTED, redact } from '../../src/core/redact';

/** Secrets built around the characters JSON and URLs spell differently. */
const SPECIAL = ['"', '\\', '\n', '\t', 'é', '☃', '𝄞', '%', '&', '=', '/'];
const specialSecret = fc
  .tuple(fc.string({ minLength: 4, maxLength: 12 }), fc.constantFrom(...SPECIAL), fc.string({ minLength: 0, maxLength: 12 }))
  .map(([head, special, tail]) => `${head}${special}${tail}`);

/** Every spelling a log reader could meet: the value itself, and as JSON and a URL write it. */
const spellings = (secret: string) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];

describe('createLogger', () => {
  it('writes no spelling of a secret with JSON-special or non-ASCII characters, in the message or any field', () => {
    fc.assert(
      fc.property(specialSecret, fc.string(), fc.string(), (secret, before, after) => {
        const lines: string[] = [];
        const log = createLogger((line) => lines.push(line), { base: `${before}${secret}` }, [secret]).child({ deliveryId: 'd-1' });
        log.error(`${before}${secret}${after}`, { error: `failed: ${secret}`, url: `https://x.example/?k=${encodeURIComponent(secret)}` });
        const [line] = lines as [string];
        const parsed = JSON.parse(line) as Record<string, unknown>;
        expect(parsed.message).toBe(redact(`${before}${secret}${after}`, [secret]));
        expect(parsed.error).toBe(`failed: ${REDACTED}`);
        expect(parsed.url).toBe(`https://x.example/?k=${REDACTED}`);
        expect(parsed.deliveryId).toBe('d-1');
        for (const value of Object.values(parsed)) for (const form of spellings(secret)) expect(String(value)).not.toContain(form);
      }),
    );
  });

  it('a child redacts its own secrets in the fields it inherited, on every line', () => {
    const secret = 'child-only-secret';
    const lines: string[] = [];
    const parent = createLogger((line) => lines.push(line), { url: `https://x.example/?k=${secret}` });
    const child = parent.child({ deliveryId: 'd-1' }, [secret]);
    child.info('one');
    child.info('two', { said: secret });
    parent.info('parent');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { level: 'info', message: 'one', url: `https://x.example/?k=${REDACTED}`, deliveryId: 'd-1' },
      { level: 'info', message: 'two', url: `https://x.example/?k=${REDACTED}`, deliveryId: 'd-1', said: REDACTED },
      // The parent was never told the secret.
      { level: 'info', message: 'parent', url: `https://x.example/?k=${secret}` },
    ]);
  });

  it('redacts a secret holding a quote, a backslash and a newline (JSON spells each otherwise)', () => {
    const secret = 'tok"en\\with\nnewline-é';
    const lines: string[] = [];
    createLogger((line) => lines.push(line), {}, [secret]).warn('vendor said', { said: `bad key ${secret}` });
    expect(JSON.parse(lines[0] as string)).toEqual({ level: 'warn', message: 'vendor said', said: `bad key ${REDACTED}` });
  });
});

describe('redact', () => {
  it('finds a secret as other JSON writers escape it: every non-ASCII letter as \\uXXXX (Python), the slash as \\/ (PHP)', () => {
    const secret = 'pässwörd/with"quote';
    expect(redact('{"received":"p\\u00e4ssw\\u00f6rd\\/with\\"quote"}', [secret])).toBe(`{"received":"${REDACTED}"}`);
    expect(redact('{"received":"p\\u00e4ssw\\u00f6rd/with\\"quote"}', [secret])).toBe(`{"received":"${REDACTED}"}`);
    expect(redact('{"received":"pässwörd\\/with\\"quote"}', [secret])).toBe(`{"received":"${REDACTED}"}`);
  });

  it('finds a secret quoted back inside a JSON answer, escaped as JSON escapes it', () => {
    const secret = 'ab"cd\\ef\u2603';
    const answer = JSON.stringify({ message: `invalid token ${secret}` });
    expect(redact(answer, [secret])).toBe(JSON.stringify({ message: `invalid token ${REDACTED}` }));
  });
});
