import { commitOf, hashOf, makePushEvent, type PushEventFixture } from '../fixtures/events';

/**
 * The pushes of the scenario, decided up front from the seed: per repository, bursts of pushes to main
 * (each moving main one new commit on, some with a skip marker), feature branches, and release branches
 * cut at main's head (a second push of a commit already deployed). Some events are delivered twice.
 * Each push says which targets it should reach and whether they should skip it, so the tally can
 * judge the app's records against the pushes rather than against the app's own plan.
 */

export const TARGET_IDS = ['hook', 'do', 'audit'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

/** What the three targets deploy, as configured in scenario.ts: the tally's expectations follow from it. */
const DEPLOYS: Record<TargetId, (ref: string) => boolean> = {
  hook: (ref) => ref === 'main' || ref.startsWith('release/'),
  do: (ref) => ref === 'main',
  audit: () => true,
};
/** `audit` ignores skip markers (and does not coalesce): every push reaches it, in push order. */
const HONOURS_SKIP_MARKERS: Record<TargetId, boolean> = { hook: true, do: true, audit: false };

export const SKIP_MARKER = '[skip ci]';

export interface Push {
  /** Order of the push over the whole scenario: the scenario stamps timestamps in this order. */
  seq: number;
  /** The wave (over all sessions) in which the push happens and its event is stamped. */
  wave: number;
  repository: string;
  ref: string;
  commit: string;
  event: PushEventFixture;
  /** The targets this push should produce an outcome for, and whether each should be skipped. */
  expected: { target: TargetId; skip: boolean }[];
}

export interface TrafficSize {
  repositories: number;
  pushes: number;
  sessions: number;
  wavesPerSession: number;
}

export interface Repository {
  index: number;
  uuid: string;
  /** The DigitalOcean app its `do` target deploys. */
  appId: string;
}

export interface Traffic {
  repositories: Repository[];
  pushes: Push[];
  /** sessions[s][w]: the pushes whose events arrive in wave w of session s (a push twice when delivered twice). */
  sessions: Push[][][];
  /** Events delivered again after everything else has run. */
  late: Push[];
  /** Pushes whose first delivery Bitbucket made late: a wave or three after they happened. */
  delayed: number;
}

const hex12 = (n: number) => n.toString(16).padStart(12, '0');

const repositoryOf = (index: number): Repository => ({
  index,
  uuid: `{00000000-0000-4000-8000-${hex12(index + 1)}}`,
  appId: `00000000-0000-4000-9000-${hex12(index + 1)}`,
});

export function planTraffic(size: TrafficSize, random: () => number): Traffic {
  const repositories = Array.from({ length: size.repositories }, (_, i) => repositoryOf(i));
  const heads = repositories.map(() => hashOf(0));
  const releases = repositories.map(() => 0);
  const features = repositories.map(() => new Map<string, string>());
  const pushes: Push[] = [];
  const waves = size.sessions * size.wavesPerSession;
  const sessions: Push[][][] = Array.from({ length: size.sessions }, () => Array.from({ length: size.wavesPerSession }, () => []));
  const late: Push[] = [];
  const waveAt = (wave: number): Push[] => sessions[Math.floor(wave / size.wavesPerSession)]![wave % size.wavesPerSession]!;
  const pick = (n: number) => Math.floor(random() * n);

  let wave = 0;
  function push(repo: Repository, ref: string, commit: string, message: string | null, before: string | null, created: boolean): Push {
    const seq = pushes.length;
    const event = makePushEvent({
      // Stamped by the scenario when the push happens, on the platform's clock.
      timestamp: '',
      repository: { uuid: repo.uuid },
      push: { ref, before, after: commit, created, commits: message === null ? [] : [commitOf(commit, message)] },
    });
    const marked = message?.includes(SKIP_MARKER) ?? false;
    const expected = TARGET_IDS.filter((target) => DEPLOYS[target](ref)).map((target) => ({
      target,
      skip: marked && HONOURS_SKIP_MARKERS[target],
    }));
    const made: Push = { seq, wave, repository: repo.uuid, ref, commit, event, expected };
    pushes.push(made);
    return made;
  }

  /** The next push for a repository: mostly main, sometimes a feature branch or a release cut at main's head. */
  function nextPush(repo: Repository, toMain: boolean): Push {
    const i = repo.index;
    const roll = toMain ? 0 : random();
    if (roll > 0.93 && heads[i] !== hashOf(0)) {
      releases[i] = (releases[i] ?? 0) + 1;
      // A new branch at an existing commit: Bitbucket lists no commits for it.
      return push(repo, `release/${releases[i]}`, heads[i]!, null, null, true);
    }
    const commit = hashOf(pushes.length + 1);
    if (roll > 0.83) {
      const name = `feature/f${pick(3)}`;
      const before = features[i]!.get(name) ?? null;
      features[i]!.set(name, commit);
      return push(repo, name, commit, `Work on ${name}`, before, before === null);
    }
    const before = heads[i]!;
    heads[i] = commit;
    const message = random() < 0.05 ? `Tidy up ${SKIP_MARKER}` : `Change ${pushes.length + 1}`;
    return push(repo, 'main', commit, message, before, false);
  }

  const perWave = Math.ceil(size.pushes / waves);
  let delayed = 0;
  for (wave = 0; wave < waves && pushes.length < size.pushes; wave += 1) {
    const target = Math.min(size.pushes, (wave + 1) * perWave);
    while (pushes.length < target) {
      const repo = repositories[pick(repositories.length)]!;
      // A burst: a push of any kind, then up to four more to main in a row.
      const burst = Math.min(target - pushes.length, 1 + pick(5));
      for (let b = 0; b < burst; b += 1) {
        const made = nextPush(repo, b > 0);
        // Bitbucket delivers some events late, after newer pushes of the same repository.
        if (random() < 0.03 && wave + 1 < waves) {
          waveAt(Math.min(waves - 1, wave + 1 + pick(3))).push(made);
          delayed += 1;
        } else waveAt(wave).push(made);
        if (random() < 0.05) redeliver(made, wave);
      }
    }
  }

  /** The same event again: at once, later in the session, in the next session, or after everything. */
  function redeliver(made: Push, wave: number): void {
    const roll = random();
    if (roll < 0.4) waveAt(wave).push(made);
    else if (roll < 0.7 && wave + 1 < waves) waveAt(Math.min(waves - 1, wave + 1 + pick(size.wavesPerSession))).push(made);
    else if (roll < 0.9 && wave + size.wavesPerSession < waves) waveAt(wave + size.wavesPerSession).push(made);
    else late.push(made);
  }

  return { repositories, pushes, sessions, late, delayed };
}
