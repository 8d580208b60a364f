/**
 * `npm start`: the app on the local Forge platform. With no arguments, the settings page served to a
 * browser (browser/server.ts) with a kept store and a demo receiver, until stopped. With `--demo`, a
 * one-shot demo: a signed-webhook target pointing at a receiver started here, one push replayed, each
 * step printed. With
 * `--event FILE... --targets FILE [--commit HASH]... [--route HOST=URL]... [--store FILE]` it replays
 * those events (pushes, pull requests) in order against those targets, prints each target's outcome
 * and exits non-zero when any deploy failed. `--commit` tells the Bitbucket stand-in about a commit:
 * pull-request events name commits by a short hash, which the app asks Bitbucket to resolve.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalPlatform, type LocalPlatform } from './platform';
import { startReceiver } from './receiver';
import { parseTargetsFile, type TargetsFile } from './targets-file';
import { secretsSavedFor } from '../src/providers/registry';
import type { Deployment, DeploymentState } from '../src/core/deployment';
import { durationMs } from '../src/core/deployment';
import type { PullRequestTriggerResult } from '../src/entry/pullrequest-trigger';
import type { PushTriggerResult } from '../src/entry/push-trigger';
import { PULL_REQUEST_EVENTS } from './bitbucket/events';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_STORE = path.join(ROOT, '.local-data', 'relay.sqlite');
const DEFAULT_PORT = 3000;

interface ReplayInput {
  event: Record<string, unknown> & { eventType: string; repository: { uuid: string }; workspace: { uuid: string } };
  targets: TargetsFile;
  /** Full hashes the stand-in's repository is to have (besides those a push event carries). */
  commits?: readonly string[];
}

const isPullRequestEvent = (eventType: string): boolean => (PULL_REQUEST_EVENTS as readonly string[]).includes(eventType);

/** What the event is about, in one line. */
function describeEvent(event: ReplayInput['event']): string {
  const pr = event.pullrequest as
    { id?: number; source?: { branch?: string; commit?: { hash?: string } }; destination?: { branch?: string } } | undefined;
  if (isPullRequestEvent(event.eventType))
    return `${event.eventType} #${pr?.id ?? '?'} ${pr?.source?.branch ?? '?'} @ ${pr?.source?.commit?.hash ?? '?'} into ${pr?.destination?.branch ?? '?'}`;
  const push = event.push as { ref?: string; after?: string } | undefined;
  return `${event.eventType} ${push?.ref ?? '?'} @ ${push?.after?.slice(0, 12) ?? '(deleted)'}`;
}

/**
 * Leaves the stand-in as Bitbucket would be when it sends the event (the repository, its pull request
 * or pushed commits), then adds the commits the run was told about.
 */
function tellBitbucket(platform: LocalPlatform, input: ReplayInput): void {
  if (isPullRequestEvent(input.event.eventType)) platform.bitbucket.recordPullRequest(input.event);
  else platform.bitbucket.recordPush(input.event);
  for (const hash of input.commits ?? []) {
    if (!/^[0-9a-f]{40}$/i.test(hash)) throw new Error(`--commit takes a full 40-character commit hash, got "${hash}"`);
    platform.bitbucket.addCommit(input.event.repository.uuid, { hash: hash.toLowerCase(), message: `Commit ${hash.slice(0, 12)}` });
  }
}

const PREVIEW_WORDS = { deploy: 'preview', teardown: 'teardown' } as const;

const say = (step: string, text: string) => console.log(`${step.padEnd(9)} ${text}`);

// The store module imports @forge/kvs, so it loads only after the platform has set up the SDK's seams.
const appStore = () => import('../src/forge/store');

async function seed(platform: LocalPlatform, input: ReplayInput): Promise<void> {
  const store = await appStore();
  const { uuid: repositoryUuid } = input.event.repository;
  await platform.run(async () => {
    await store.putTargets({
      schemaVersion: 1,
      repository: { uuid: repositoryUuid, workspaceUuid: input.event.workspace.uuid, fullName: input.targets.fullName },
      targets: input.targets.targets.map((t) => t.target),
    });
    for (const { target, secrets } of input.targets.targets)
      await store.putSecrets(repositoryUuid, target.id, secretsSavedFor(target, secrets));
  });
}

async function replay(platform: LocalPlatform, input: ReplayInput): Promise<Deployment[]> {
  say('event', `${describeEvent(input.event)} in ${input.event.repository.uuid}`);
  await seed(platform, input);
  tellBitbucket(platform, input);
  platform.resetCalls();
  platform.egressLog.splice(0);
  const [outcome] = await platform.emit(input.event);
  if (!outcome?.ok) throw new Error(`the trigger failed: ${outcome?.error?.message ?? 'no trigger ran'}`);
  const plan = outcome.value as PushTriggerResult | PullRequestTriggerResult;
  if (plan.deliveryId === null) throw new Error(`the trigger refused the event: ${plan.ignoredBecause ?? ''}`);
  const count = (seam: string, op?: string) => platform.calls.filter((c) => c.seam === seam && (!op || c.op === op)).length;
  say('plan', `delivery ${plan.deliveryId}: ${plan.queued} job(s) queued${plan.ignoredBecause ? ` (${plan.ignoredBecause})` : ''}`);
  const writes = platform.calls.filter((c) => c.seam === 'kvs' && /set|delete/.test(c.op)).length;
  say(
    'trigger',
    `storage reads ${count('kvs', 'get')}, storage writes ${writes}, queue pushes ${count('queue')}, Bitbucket calls ${count('bitbucket')}`,
  );
  const drained = await platform.drain();
  say('queue', `${drained.delivered} delivery(ies), ${drained.retried} retried, ${drained.dead} dead`);
  for (const request of platform.egressLog) say('request', `${request.method} ${request.url} -> ${request.status ?? 'no answer'}`);
  const store = await appStore();
  const page = await platform.run(() => store.listDeployments(input.event.repository.uuid, 50));
  const mine = page.deployments.filter((d) => d.deliveryId === plan.deliveryId);
  for (const d of mine) {
    const statuses = await commitStatuses(platform, input.event, d.commit.hash);
    const line = statuses.find((s) => s.key === `deploy-relay-${d.target.id}`);
    say('commit', line ? `${line.name}: ${line.state} (${line.description})` : `${d.target.name}: no commit status`);
  }
  for (const d of mine) {
    const took = durationMs(d);
    say(
      'history',
      `${d.state.padEnd(10)} ${d.target.name} <- ${d.preview ? `${PREVIEW_WORDS[d.preview.action]} of #${d.preview.pullRequest.id}, ` : ''}${d.ref.type} ${d.ref.name} ${d.commit.hash.slice(0, 7)} (${d.attempts} attempt(s)${took === null ? '' : `, ${took} ms`}): ${d.message}`,
    );
  }
  if (mine.some((d) => d.preview && d.commit.hash.length < 40))
    say('hint', 'the stand-in does not know that commit: pass its full hash with --commit FULL_HASH (it is added to the repository)');
  return mine;
}

async function commitStatuses(platform: LocalPlatform, event: ReplayInput['event'], hash: string) {
  const where = `/2.0/repositories/${encodeURIComponent(event.workspace.uuid)}/${encodeURIComponent(event.repository.uuid)}/commit/${hash}/statuses`;
  const response = await platform.bitbucket.handle('GET', where, undefined, { asUser: false });
  const body = (await response.json()) as { values?: { key: string; name: string; state: string; description: string }[] };
  return body.values ?? [];
}

async function demo(): Promise<number> {
  console.log('Deploy Relay demo: a push becomes a signed deploy request, on the local Forge platform\n');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  mkdirSync(path.dirname(DEFAULT_STORE), { recursive: true });
  const platform = createLocalPlatform({ root: ROOT, storeFile: DEFAULT_STORE });
  const receiver = await startReceiver({ secret, now: platform.now });
  try {
    // A git push to acme/web's main branch, as the Bitbucket stand-in reports it to Forge: a fresh
    // commit and time each run, so a demo run against a kept store still deploys.
    const fixture = platform.bitbucket.push('acme/web', {
      ref: 'main',
      messages: ['Add checkout page\n\nWith tests.'],
      actor: { accountId: '557058:admin-0001', uuid: '{0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f}' },
      timestamp: new Date(platform.now()).toISOString(),
    });
    say('receiver', `listening on ${receiver.url}, checking X-Hub-Signature-256 and Standard Webhooks`);
    const targets = parseTargetsFile({
      repository: { fullName: 'acme/web' },
      targets: [
        {
          id: 'demo-hook',
          name: 'Demo receiver',
          environment: 'staging',
          provider: 'webhook',
          settings: { url: receiver.url },
          secrets: { signingSecret: secret },
          rules: { branches: ['main'] },
        },
      ],
    });
    const results = await replay(platform, { event: fixture, targets });
    for (const d of receiver.deliveries) {
      const body = JSON.parse(d.body) as { commit: { hash: string } };
      say(
        'verified',
        `X-Hub-Signature-256 ${d.hubSignatureValid ? 'valid' : 'INVALID'}, Standard Webhooks ${d.standardWebhooksValid ? 'valid' : 'INVALID'}, commit ${body.commit.hash.slice(0, 12)}`,
      );
    }
    const ok =
      receiver.deliveries.length === 1 &&
      receiver.deliveries.every((d) => d.hubSignatureValid && d.standardWebhooksValid) &&
      results.every((d) => d.state === 'requested');
    console.log(ok ? '\nDemo finished: the receiver verified the deploy request.' : '\nDemo failed: see the lines above.');
    return ok ? 0 : 1;
  } finally {
    await platform.close();
    await receiver.close();
  }
}

/**
 * The exit code: 1 when a deploy failed or was canceled (it did not go out), or is still being sent or
 * retried when the queue has run dry (a stuck run); 0 otherwise, since every other deploy was accepted
 * and nothing says it failed. That includes `unknown`: followed, but the vendor's answer could not be
 * read or the deploy outlasted the following. Failing the run for the vendor's silence would call a
 * deploy that may well be live a failure, so `unknown` counts like `requested` (a hook, which cannot
 * report) and `in_progress`; the result line says how many outcomes are not known, for a script that
 * needs to check the vendor's page. `superseded` (a newer deploy to the target replaced it) is 0 too.
 */
const FAILING_STATES: ReadonlySet<DeploymentState> = new Set<DeploymentState>(['failed', 'canceled', 'sending', 'retrying']);
const KNOWN_OUTCOMES: ReadonlySet<DeploymentState> = new Set<DeploymentState>(['succeeded', 'superseded', 'skipped']);

/** The exit code, with the line that explains it. */
function exitCodeFor(results: readonly Deployment[]): { code: number; line: string } {
  const failed = results.filter((d) => FAILING_STATES.has(d.state));
  if (failed.length > 0)
    return {
      code: 1,
      line: `exit 1: ${failed.length} of ${results.length} deploy(s) ${failed.map((d) => `${d.target.name} ${d.state}`).join(', ')}`,
    };
  const open = results.filter((d) => !KNOWN_OUTCOMES.has(d.state));
  const note =
    open.length > 0
      ? `; outcome not known for ${open.length} (${[...new Set(open.map((d) => d.state))].join(', ')}): see the vendor's page`
      : '';
  return { code: 0, line: `exit 0: ${results.length} deploy(s), none failed${note}` };
}

/** `--route HOST=URL` pairs: requests for HOST go to URL instead. */
function parseRoutes(pairs: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--route takes HOST=URL, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

async function replayFiles(values: {
  event: string[];
  targets: string;
  commit?: string[];
  route?: string[];
  store?: string;
}): Promise<number> {
  const routes = parseRoutes(values.route);
  const events = values.event.map((file) => JSON.parse(readFileSync(file, 'utf8')) as ReplayInput['event']);
  const targets = parseTargetsFile(JSON.parse(readFileSync(values.targets, 'utf8')));
  if (values.store) mkdirSync(path.dirname(path.resolve(values.store)), { recursive: true });
  const platform = createLocalPlatform({ root: ROOT, storeFile: values.store, routes });
  try {
    const results: Deployment[] = [];
    for (const event of events) results.push(...(await replay(platform, { event, targets, commits: values.commit })));
    const { code, line } = exitCodeFor(results);
    say('result', line);
    return code;
  } finally {
    await platform.close();
  }
}

/** Serves the app until Ctrl-C; resolves with the exit code once it has stopped. */
async function serve(port: number, store: string, routes: Record<string, string>): Promise<number> {
  mkdirSync(path.dirname(store), { recursive: true });
  const { startLocalApp } = await import('./browser/server');
  console.log('Deploy Relay on the local Forge platform: building the page…');
  // The demo receiver's port and secret are kept beside the store, so targets saved against it keep working.
  const receiverFile = path.join(path.dirname(store), 'receiver.json');
  const app = await startLocalApp({ root: ROOT, storeFile: store, receiverFile, port, routes, log: console.log });
  console.log(`\nOpen ${app.url} for the repository settings page of acme/web.`);
  console.log(`The demo receiver is at ${app.receiver.url} (its signing secret is in the developer bar).`);
  console.log(`Storage is kept in ${path.relative(process.cwd(), store)}. Ctrl-C stops.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  return 0;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean' },
      port: { type: 'string' },
      event: { type: 'string', multiple: true },
      commit: { type: 'string', multiple: true },
      targets: { type: 'string' },
      route: { type: 'string', multiple: true },
      store: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm start [-- --port N] [--store FILE] [--route HOST=URL]...   serve the settings page (default port 3000)\n' +
        '       npm start -- --demo                      one push to a demo receiver, printed step by step\n' +
        '       npm start -- --event FILE... --targets FILE [--commit HASH]... [--route HOST=URL]... [--store FILE]',
    );
    return 0;
  }
  if (values.demo) return demo();
  if (!values.event && !values.targets) {
    const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a port number, got "${values.port}"`);
    return serve(port, path.resolve(values.store ?? DEFAULT_STORE), parseRoutes(values.route));
  }
  if (!values.event || !values.targets) throw new Error('--event and --targets go together');
  return replayFiles({ event: values.event, targets: values.targets, commit: values.commit, route: values.route, store: values.store });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(2);
  },
);
