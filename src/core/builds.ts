import picomatch from 'picomatch';
import * as z from 'zod/mini';
import { describeIssues } from './zod-messages';

/**
 * Wait for builds: a target may deploy a commit only once the commit's builds pass, as Bitbucket's
 * commit statuses report them (Pipelines, Jenkins, any CI that posts one). A waiting deploy learns a
 * build's state from the commit's statuses, read once, and from then on from Bitbucket's build-status
 * events, which may come late, twice or out of order: of two reports of one build, the one updated
 * last wins, whatever order they came in.
 */

/** The prefix of the app's own commit status keys (run.ts statusKeyFor): never a build to wait for. */
export const OWN_STATUS_PREFIX = 'deploy-relay-';
export const isOwnStatus = (key: string): boolean => key.startsWith(OWN_STATUS_PREFIX);

export const MAX_BUILD_TEXT = 255;
/** A build's state and its time: Bitbucket's states and ISO times are far shorter. */
export const MAX_BUILD_STATE = 40;
export const MAX_BUILD_URL = 2000;

/** One build on a commit, as its latest report said. `updatedOn` orders two reports of the same build. */
export const buildSchema = z.object({
  key: z.string().check(z.maxLength(MAX_BUILD_TEXT)),
  /** The REST list names a build; an event does not: a report without a name keeps the one known. */
  name: z.nullable(z.string().check(z.maxLength(MAX_BUILD_TEXT))),
  state: z.string().check(z.maxLength(MAX_BUILD_STATE)),
  url: z.nullable(z.string().check(z.maxLength(MAX_BUILD_URL))),
  updatedOn: z.string().check(z.maxLength(MAX_BUILD_STATE)),
});
export type Build = z.infer<typeof buildSchema>;

/** Per build key, the report updated last (a report with no name keeps the name known for the build). */
export function mergeBuilds(known: readonly Build[], reports: readonly Build[]): Build[] {
  const byKey = new Map(known.map((build) => [build.key, build]));
  for (const report of reports) {
    if (isOwnStatus(report.key)) continue;
    const current = byKey.get(report.key);
    if (current && Date.parse(current.updatedOn) > Date.parse(report.updatedOn)) continue;
    byKey.set(report.key, { ...report, name: report.name ?? current?.name ?? null });
  }
  return [...byKey.values()];
}

export type BuildVerdict =
  { kind: 'passed'; message: string } | { kind: 'blocked'; message: string; url: string | null } | { kind: 'waiting'; message: string };

const FAILED_STATES = new Set(['FAILED', 'STOPPED']);
const label = (build: Build) => build.name ?? build.key;

/**
 * Whether the builds let the commit deploy. `required` lists the build keys the target waits for (glob
 * patterns); empty, every build on the commit counts, and at least one must have reported.
 */
export function judgeBuilds(builds: readonly Build[], required: readonly string[]): BuildVerdict {
  const matchers = required.map((pattern) => picomatch(pattern));
  const counted = required.length === 0 ? builds : builds.filter((build) => matchers.some((matches) => matches(build.key)));
  const failed = counted.find((build) => FAILED_STATES.has(build.state));
  if (failed) {
    return {
      kind: 'blocked',
      message: `Blocked: build ${label(failed)} ${failed.state === 'STOPPED' ? 'was stopped' : 'failed'}`,
      url: failed.url,
    };
  }
  const passed = counted.filter((build) => build.state === 'SUCCESSFUL').length;
  // With named keys, each must report; a pattern matching several builds waits for all it matched.
  const missing = required.filter((_pattern, i) => !builds.some((build) => matchers[i]?.(build.key)));
  const expected = counted.length + missing.length;
  if (expected === 0) return { kind: 'waiting', message: 'Waiting for builds: none reported on this commit yet' };
  if (passed === expected) return { kind: 'passed', message: `Builds passed: ${passed} of ${expected}` };
  return { kind: 'waiting', message: `Waiting for builds: ${passed} of ${expected} passed` };
}

/**
 * `avi:bitbucket:{created,updated}:build-status`, the fields the app reads, as Forge's Bitbucket events
 * reference types them: `buildStatus: {key, commit: {hash}, state, url, createdOn, updatedOn, refName?}`.
 * Not strict: a field Forge adds later must not make the event unreadable.
 */
const buildStatusEventSchema = z.object({
  selfGenerated: z.optional(z.boolean()),
  repository: z.object({ uuid: z.string().check(z.regex(/^\{[0-9a-f-]{36}\}$/i, 'must be a braced UUID')) }),
  buildStatus: z.object({
    key: z.string().check(z.minLength(1), z.maxLength(255)),
    commit: z.object({ hash: z.string().check(z.regex(/^[0-9a-f]{7,40}$/i, 'must be a commit hash')) }),
    state: z.string().check(z.maxLength(40)),
    url: z.string().check(z.maxLength(2000)),
    updatedOn: z.string().check(z.maxLength(40)),
    refName: z.optional(z.nullable(z.string().check(z.maxLength(255)))),
  }),
});

export interface BuildReport {
  repositoryUuid: string;
  /** As the event gives it: the full hash, or a prefix of it. */
  commit: string;
  build: Build;
  /** The ref the build was reported for, when its CI named one: it counts for deploys of that ref only. */
  refName: string | null;
  /** The app's own status, or an event the app caused: nothing to wake. */
  own: boolean;
}

/** A build-status event as a report of one build, or the reason it cannot be read. */
export function readBuildStatusEvent(event: unknown): { ok: true; report: BuildReport } | { ok: false; why: string } {
  const parsed = buildStatusEventSchema.safeParse(event);
  if (!parsed.success) return { ok: false, why: describeIssues(parsed.error).slice(0, 3).join('; ') };
  const { buildStatus: status, repository, selfGenerated } = parsed.data;
  return {
    ok: true,
    report: {
      repositoryUuid: repository.uuid,
      commit: status.commit.hash.toLowerCase(),
      build: { key: status.key, name: null, state: status.state, url: status.url || null, updatedOn: status.updatedOn },
      refName: status.refName ?? null,
      own: selfGenerated === true || isOwnStatus(status.key),
    },
  };
}
