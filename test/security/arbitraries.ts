import fc from 'fast-check';

/**
 * Bad input as issue 5 lists it, for the push-event and resolver-payload fuzzing: wrong types, huge
 * strings, unicode and control characters, missing and extra fields, UUIDs without braces, path
 * traversal. A generated input is a valid one with a few mutations at known paths, so a refusal can be
 * checked for naming the field that was broken.
 */

/** A mutation's value that deletes the field instead of setting it. */
export const REMOVE = Symbol('remove');

export type Path = readonly (string | number)[];
export interface Mutation {
  path: Path;
  value: unknown;
}

/** Past every length limit the app has (1,000 for refs, 2,000 for settings, 100,000 for messages) and the 240 KiB KVS value limit. */
export const hugeString = fc
  .tuple(fc.constantFrom(1_001, 4_097, 100_001, 250_000), fc.constantFrom('a', 'é', '€', '😀', '\u0000', '\u202e', '"', '\\'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

const CONTROL = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f'];
export const controlString = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 12 }))
  .map(([before, control, after]) => `${before}${control}${after}`);

/** Valid-looking unicode: right-to-left overrides, zero-width spaces, BOMs, lone surrogates, full-width letters. */
export const unicodeString = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
  fc.constantFrom(
    '\u202egnp.exe',
    'ma\u200bin',
    '\ufeffmain',
    'main\ud800',
    'mai\u0301n',
    'ｍａｉｎ',
    'main\u2028x',
    'release/🚀',
    'ветка',
  ),
);

/** Bitbucket wraps UUIDs in braces; each of these is one way of getting that wrong. */
export const uuidWithoutBraces = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `{${u}`),
  fc.uuid().map((u) => `${u}}`),
  fc.uuid().map((u) => `{${u.replace(/-/g, '')}}`),
  fc.uuid().map((u) => `(${u})`),
  fc.uuid().map((u) => `{{${u}}}`),
);

export const pathTraversal = fc.constantFrom(
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '..%252f..%252f',
  'refs/heads/../../main',
  '/etc/passwd',
  'main/../../x',
  '....//....//',
  '..',
  '.',
  'main?x=1#y',
  'targets:5c9e7a3b-1d2f-4b6a-8e4c-7f0a2b3c4d5e',
  'secrets:5c9e7a3b-1d2f-4b6a-8e4c-7f0a2b3c4d5e:x',
  '{../../}',
);

export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Keys that break naive object handling when they arrive as own properties (as JSON.parse makes them). */
export const awkwardKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''),
  fc.string({ maxLength: 10 }),
);

/** Any of the kinds above, or the field left out. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: wrongType, weight: 4 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: controlString, weight: 2 },
  { arbitrary: unicodeString, weight: 2 },
  { arbitrary: uuidWithoutBraces, weight: 2 },
  { arbitrary: pathTraversal, weight: 2 },
  { arbitrary: fc.constant(REMOVE), weight: 3 },
);

/** A mutation at one of `paths` with a bad value, or an extra field under one of `parents`. */
export function mutationOf(paths: readonly Path[], parents: readonly Path[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { arbitrary: fc.record({ path: fc.constantFrom(...paths), value: badValue }), weight: 5 },
    {
      arbitrary: fc
        .record({ parent: fc.constantFrom(...parents), key: awkwardKey, value: fc.jsonValue({ maxDepth: 2 }) })
        .map(({ parent, key, value }) => ({ path: [...parent, key], value })),
      weight: 1,
    },
  );
}

/**
 * Applies mutations to a copy of `base` and returns it with the mutations that took effect (one whose
 * parent is missing, or was replaced with a non-object by an earlier mutation, has nothing to act on).
 */
export function applyMutations(base: unknown, mutations: readonly Mutation[]): { input: unknown; applied: Mutation[] } {
  const root = { value: structuredClone(base) as unknown };
  const applied: Mutation[] = [];
  for (const mutation of mutations) {
    let node: unknown = root;
    let key: string | number = 'value';
    let ok = true;
    for (const step of mutation.path) {
      // A missing parent is not created: it would add broken fields of its own (a commit without a hash).
      const container = node as Record<string | number, unknown>;
      const next = container[key];
      if (typeof next !== 'object' || next === null || !Object.hasOwn(container, key)) {
        ok = false;
        break;
      }
      node = next;
      key = step;
    }
    if (!ok) continue;
    const container = node as Record<string | number, unknown>;
    if (mutation.value === REMOVE) delete container[key];
    // defineProperty: `__proto__` becomes an own field, as JSON.parse would make it, not the prototype.
    else Object.defineProperty(container, key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
    applied.push(mutation);
  }
  return shortly(
    { input: root.value, applied },
    () => `mutations ${applied.map((m) => `${dotted(m.path)}=${preview(m.value)}`).join(', ') || 'none'}`,
  );
}

/** A value as a failing property prints it: huge strings would bury the report. */
export const preview = (value: unknown): string => {
  if (value === REMOVE) return '(removed)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 60)}… (${text.length} chars)` : text;
};

/** Makes fast-check print `describe()` for a counterexample instead of the whole value. */
export function shortly<T extends object>(value: T, describe: () => string): T {
  return Object.defineProperty(value, fc.toStringMethod, { value: describe, enumerable: false, configurable: true });
}

/** `push.commits.0.hash`: how zod issues name a field. */
export const dotted = (path: Path): string => path.map(String).join('.');

/** What every refusal must look like, wherever it is shown: a sentence, not a dump. */
export function refusalProblems(message: unknown, maxLength = 2_000): string[] {
  if (typeof message !== 'string') return [`the message is a ${typeof message}, not a string`];
  const problems: string[] = [];
  if (message.trim() === '') problems.push('the message is empty');
  if (message.length > maxLength)
    problems.push(`the message is ${message.length} characters long (over ${maxLength}): input is being echoed`);
  if (/\n\s+at \S+/.test(message) || /\bat .+\.(ts|js):\d+:\d+/.test(message)) problems.push('the message carries a stack trace');
  return problems;
}
