/**
 * Finds secrets, whole or in part, in text the app produced. A secret is built around distinctive runs
 * of letters and digits (24 characters or more); any 10-character window of a run found elsewhere is a
 * leak. Windows, not whole values: a message cut at 300 characters before it was redacted leaves part
 * of a secret behind, and that part is as much a leak as the whole.
 */

export interface Secret {
  /** `render-api.apiKey` */
  name: string;
  provider: string;
  value: string;
  /** A signing secret only signs: it must not appear in any request, not even to its own receiver. */
  neverSent: boolean;
}

export type Channel = 'response' | 'log' | 'store' | 'request' | 'bitbucket' | 'queue';

export interface Haystack {
  channel: Channel;
  /** What a person needs to find it: `saveTarget response`, `kvs deploy:…`, `POST https://api.render.com/…`. */
  where: string;
  text: string;
  /** For a request: the provider whose server received it (null when it went to no provider). */
  owner?: string | null;
}

const WINDOW = 10;
const RUN = /[A-Za-z0-9]{10,}/g;

/** The distinctive runs of a secret: its runs of 24 letters and digits or more (a URL's path and host are shorter). */
export const runsOf = (value: string): string[] => value.match(/[A-Za-z0-9]{24,}/g) ?? [];

export interface Scanner {
  /** Every place a secret shows where it must not, one line each, in a stable order. */
  leaks(haystacks: Iterable<Haystack>): string[];
  /** Every (secret, haystack) pair where the secret shows at all: for checks that the scan can see it. */
  sightings(haystacks: Iterable<Haystack>): { secret: Secret; haystack: Haystack }[];
}

export function createScanner(secrets: readonly Secret[]): Scanner {
  const index = new Map<string, Secret>();
  for (const secret of secrets) {
    const runs = runsOf(secret.value);
    if (runs.length === 0) throw new Error(`${secret.name} has no distinctive run to look for`);
    for (const run of runs) for (let i = 0; i + WINDOW <= run.length; i++) index.set(run.slice(i, i + WINDOW), secret);
  }

  function* sightings(haystacks: Iterable<Haystack>) {
    for (const haystack of haystacks) {
      const found = new Set<Secret>();
      for (const [run] of haystack.text.matchAll(RUN)) {
        for (let i = 0; i + WINDOW <= run.length; i++) {
          const secret = index.get(run.slice(i, i + WINDOW));
          if (secret) found.add(secret);
        }
      }
      for (const secret of found) yield { secret, haystack };
    }
  }

  const allowed = ({ secret, haystack }: { secret: Secret; haystack: Haystack }) =>
    haystack.channel === 'request' && !secret.neverSent && haystack.owner === secret.provider;

  return {
    leaks: (haystacks) =>
      [
        ...new Set(
          [...sightings(haystacks)]
            .filter((s) => !allowed(s))
            .map(({ secret, haystack }) => `${secret.name} in ${haystack.channel}: ${haystack.where}`),
        ),
      ].sort(),
    sightings: (haystacks) => [...sightings(haystacks)],
  };
}
