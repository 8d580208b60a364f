// The platform comes first: importing it wraps the global fetch before @forge/api captures it.
import { createLocalPlatform, type LocalPlatform, type LocalPlatformOptions, type SeamCall } from '../../local/platform';
import { loadDefaultFixture } from '../../local/bitbucket';
import { repoSettingsContext } from '../../local/ui/context';
import { DEPLOYMENT_SCHEMA_VERSION, type Deployment, deploymentId } from '../../src/core/deployment';
import { kvs } from '@forge/kvs';
import { allNodes, findAll, type ForgeDocNode, nodeText } from '../../local/ui/forgedoc';
import { deploymentKey, putTargets } from '../../src/forge/store';
import type { Target } from '../../src/core/targets';
import type { Result } from '../../src/core/settings-api';
import { startReceiver, type Receiver } from '../../local/receiver';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';

/** The acme/web repository of local/fixtures/workspace.json, its admin and a reader. */
const fixture = loadDefaultFixture();
export const WORKSPACE = fixture.workspace.uuid as string;
export const REPO = fixture.repositories[0]!.uuid as string;
export const ADMIN = '557058:admin-0001';
export const READER = '557058:reader-0002';

/** What a repository settings page's `view.getContext()` gives, and so what the resolver receives. */
export const pageContext = (accountId: string) => repoSettingsContext(fixture, accountId);

export interface SettingsSession {
  platform: LocalPlatform;
  /** Every resolver answer of the session, to scan for secrets. */
  responses: unknown[];
  invokeAs(accountId: string): (functionKey: string, payload?: unknown) => Promise<unknown>;
  /** The page's `permissions.egress.*` bridge calls, answered by the platform's customer-managed egress as `accountId`. */
  bridgeAs(accountId: string): (cmd: string, payload: unknown) => Promise<unknown>;
}

export function openSession(options?: LocalPlatformOptions): SettingsSession {
  const platform = createLocalPlatform(options);
  const responses: unknown[] = [];
  return {
    platform,
    responses,
    invokeAs: (accountId) => async (functionKey, payload) => {
      const answer = await platform.invokeResolver('settings-resolver', { functionKey, payload }, pageContext(accountId), accountId);
      responses.push(answer);
      return answer;
    },
    bridgeAs: (accountId) => (cmd, payload) => platform.customerEgress.handle(cmd, payload, accountId),
  };
}

/**
 * The calls that wrote something of the repository's: KVS writes and queue pushes. The admin check's
 * one-minute cache (`admin:` keys) is left out: it records what Bitbucket said about the caller, not a change
 * a refused call could make to targets, secrets or history.
 */
export const dataWrites = (calls: readonly SeamCall[]): SeamCall[] =>
  calls.filter((c) => ((c.seam === 'kvs' && !/get|query/.test(c.op)) || c.seam === 'queue') && !c.detail.startsWith('admin:'));

/** Every response that contains one of the secrets, with the secret named: expected to be empty. */
export function leakedSecrets(responses: readonly unknown[], secrets: readonly string[]): string[] {
  return responses.flatMap((response, index) => {
    const text = JSON.stringify(response) ?? '';
    return secrets.filter((secret) => text.includes(secret)).map((secret) => `response ${index} carries ${secret.slice(0, 6)}…`);
  });
}

/**
 * Fakes the page's own timers (its auto-refresh) and nothing else: Date, immediates and microtasks stay
 * real, so records carry real times, React commits, and the platform and the harness run as usual.
 * Tests move the timers with jest.advanceTimersByTime and then wait for `page.idle()`.
 */
export const PAGE_TIMERS: Parameters<typeof jest.useFakeTimers>[0] = {
  doNotFake: [
    'Date',
    'hrtime',
    'nextTick',
    'performance',
    'queueMicrotask',
    'requestAnimationFrame',
    'cancelAnimationFrame',
    'requestIdleCallback',
    'cancelIdleCallback',
    'setImmediate',
    'clearImmediate',
  ],
};

/** A push of commit `round` to main of acme/web, a minute after what came before, run to the end of its queue. */
export async function pushToMain(session: SettingsSession, round: number): Promise<void> {
  session.platform.advanceClock(60_000);
  await session.platform.emit(
    makePushEvent({
      timestamp: new Date(session.platform.now()).toISOString(),
      repository: { uuid: REPO },
      workspace: { uuid: WORKSPACE },
      push: {
        ref: 'main',
        before: null,
        after: hashOf(round),
        created: false,
        closed: false,
        commits: [commitOf(hashOf(round), `Round ${round}`)],
      },
    }),
  );
  await session.platform.drain();
}

/** A push of commit `round` to main a minute on, its commit added to the stand-in's repository (emit it yourself). */
export function pushEventOf(session: SettingsSession, round: number) {
  session.platform.advanceClock(60_000);
  const commit = session.platform.bitbucket.addCommit(REPO, {
    hash: hashOf(round),
    parents: [session.platform.bitbucket.branchHead(REPO, 'main') ?? ''].filter(Boolean),
    files: ['src/app.ts'],
  });
  return makePushEvent({
    timestamp: new Date(session.platform.now()).toISOString(),
    repository: { uuid: REPO },
    workspace: { uuid: WORKSPACE },
    push: { ref: 'main', after: commit, created: false, closed: false, commits: [commitOf(commit, `Round ${round}`)] },
  });
}

let seeded = 0;

/** A deployment record of the acme/web repository as the worker stores it, created at `createdAt`. */
export function makeDeployment(createdAt: number, overrides: Partial<Deployment> = {}): Deployment {
  const jobKey = overrides.jobKey ?? `seeded-${(seeded += 1)}`;
  return {
    schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
    id: deploymentId(createdAt, jobKey),
    deliveryId: `d-${jobKey}`,
    jobKey,
    trigger: 'push',
    repositoryUuid: REPO,
    target: { id: 'seeded', name: 'Seeded', environment: 'staging', provider: 'webhook' },
    ref: { name: 'main', type: 'branch' },
    commit: { hash: 'c0ffee'.padEnd(40, '0'), message: 'Seeded change', author: null },
    actor: null,
    state: 'succeeded',
    message: 'The receiver accepted the deploy (200)',
    attempts: 1,
    vendorId: null,
    url: null,
    createdAt,
    updatedAt: createdAt,
    finishedAt: createdAt + 1000,
    acceptedAt: null,
    checks: 0,
    postedStatus: null,
    order: createdAt * 1000,
    sentAt: createdAt,
    nextAttemptAt: null,
    answerLost: false,
    reconciled: false,
    resent: false,
    ...overrides,
  };
}

/** Stores the records where the worker keeps them (through the real @forge/kvs), for the history to list. */
export async function seedDeployments(session: SettingsSession, records: readonly Deployment[]): Promise<void> {
  await session.platform.run(async () => {
    for (const record of records) await kvs.set(deploymentKey(record.repositoryUuid, record.id), record);
  });
}

/** Controls a person fills or switches; each must carry a Label they can read. */
const CONTROLS = new Set(['Textfield', 'TextArea', 'Select', 'Toggle', 'Checkbox']);

/**
 * The controls on the page without a visible Label: one whose `labelFor` is the control's id (or a
 * Select's inputId) and which has text. A Toggle's own `label` prop does not count: in the product it is
 * only the accessible name, and the admin sees a bare switch.
 */
export function unlabelledControls(root: ForgeDocNode): string[] {
  const labels = findAll(root, 'Label').filter((label) => nodeText(label) !== '');
  return allNodes(root)
    .filter((node) => CONTROLS.has(node.type))
    .filter((control) => {
      const ids = [control.props.id, control.props.inputId].filter((id): id is string => typeof id === 'string');
      return !labels.some((label) => ids.includes(String(label.props.labelFor)));
    })
    .map((control) => `${control.type} ${String(control.props.name ?? control.props.id ?? '(no name)')}`);
}

/** An invoke whose answers to the held resolver keys wait until released, to see the page while a call is out. */
export function holdingInvoke(invoke: (functionKey: string, payload?: unknown) => Promise<unknown>) {
  const held = new Set<string>();
  const waiting: (() => void)[] = [];
  return {
    invoke: async (functionKey: string, payload?: unknown) => {
      if (held.has(functionKey)) await new Promise<void>((go) => waiting.push(go));
      return invoke(functionKey, payload);
    },
    hold: (functionKey: string) => held.add(functionKey),
    release: () => {
      held.clear();
      waiting.splice(0).forEach((go) => go());
    },
  };
}

/** Stores `targets` as acme/web's, as a save through the page would have. */
export async function seedTargets(session: SettingsSession, targets: Target[]): Promise<void> {
  await session.platform.run(() =>
    putTargets({ schemaVersion: 1, repository: { uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' }, targets }),
  );
}

/** A deployment record's view of `target`. */
export const recordTargetOf = (target: Target): Deployment['target'] => ({
  id: target.id,
  name: target.name,
  environment: target.environment,
  provider: target.provider,
});

/** A resolver's answer when the test expects it to succeed; the refusal, thrown, when it did not. */
export function ok<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.data as T;
}

export interface ReceiverSession {
  session: SettingsSession;
  receiver: Receiver;
  asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;
}

/** A session and a signed-webhook receiver checking `secret`, for one test. */
export async function openReceiverSession(secret: string): Promise<ReceiverSession> {
  const session = openSession();
  const receiver = await startReceiver({ secret, now: session.platform.now });
  return { session, receiver, asAdmin: session.invokeAs(ADMIN) as ReceiverSession['asAdmin'] };
}

export async function closeReceiverSession({ session, receiver }: ReceiverSession): Promise<void> {
  await receiver.close();
  await session.platform.close();
}

/** What the form saves for a signed-webhook target named Production that deploys main to `url`. */
export const webhookTargetInput = (url: string, secret: string, options: Record<string, unknown> = {}) => ({
  name: 'Production',
  environment: 'production',
  provider: 'webhook',
  settings: { url },
  secrets: { signingSecret: secret },
  rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
  options: { skipMarkers: true, coalesce: true, reportOnCommit: true, ...options },
  enabled: true,
});

/** The commits a signed-webhook receiver was sent, in the order they arrived. */
export const deliveredCommits = (receiver: Receiver): string[] =>
  receiver.deliveries.map((d) => (JSON.parse(d.body) as { commit: { hash: string } }).commit.hash);

/** Deploy Relay's own build status for a target on a commit of acme/web, as the Bitbucket stand-in holds it. */
export const ownStatusOf = (session: SettingsSession, commit: string, targetId: string) =>
  session.platform.bitbucket.statuses(REPO, commit).find((s) => s.key === `deploy-relay-${targetId}`);
