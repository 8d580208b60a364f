/**
 * Remote calls per push (the trigger) and per deploy (the queue consumers), counted where the real SDK
 * meets the local platform (`platform.calls`: KVS requests, queue requests, Bitbucket requests, egress),
 * beside the ideal the design asks of the trigger: one storage read, one queue push, nothing else.
 * Signed webhooks end when the receiver answers; a DigitalOcean deploy is also followed by the status
 * poller until the vendor reports it live.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp } from '../test/platform/app';
import type { SeamCall } from '../local/platform';
import { drainCleanly, pushTo } from './pipeline';
import { digitalOceanVendor, PHASES, type Scenario, webhooks } from './scenarios';
import { type BenchResult, round } from './report';

const PUSHES = 10;

const KINDS = ['storage reads', 'storage writes', 'queue pushes', 'Bitbucket calls', 'provider calls'] as const;
type Kind = (typeof KINDS)[number];
type Tally = Record<Kind, number>;

/** The design's budget for the push trigger: one read, at most one write (its planned-push marks), one queue push. */
const IDEAL_PER_PUSH: Tally = { 'storage reads': 1, 'storage writes': 1, 'queue pushes': 1, 'Bitbucket calls': 0, 'provider calls': 0 };
/**
 * A webhook deploy (coalescing, the default): one batch read (targets, record, state, newest planned
 * push), the secrets, the lease taken, the outcome written, and ONE commit status, final at once.
 */
const IDEAL_PER_DEPLOY: Tally = { 'storage reads': 2, 'storage writes': 2, 'queue pushes': 0, 'Bitbucket calls': 1, 'provider calls': 1 };
/**
 * A followed deploy with 3 status reads: the worker as above, the accepted deploy written; then per read
 * one batch read, the vendor's token (a secret, read where it is used) and at most one write, and a
 * queue push for the next read; INPROGRESS once accepted, then the outcome.
 */
const IDEAL_PER_FOLLOWED_DEPLOY: Tally = {
  'storage reads': 2 + 3 * 2,
  'storage writes': 2 + 3,
  'queue pushes': 3,
  'Bitbucket calls': 2,
  'provider calls': 4,
};
/** The deploy worker's budget before its request leaves: the job's batch read, the secrets, the claim. */
const IDEAL_BEFORE_SEND = 3;

/** Every call falls in one kind; one the table has no row for stops the benchmark instead of vanishing. */
function kindOf(call: SeamCall): Kind {
  if (call.seam === 'kvs') return /(^|\/)(get|query)$/.test(call.op) ? 'storage reads' : 'storage writes';
  if (call.seam === 'queue' && call.op === 'publish') return 'queue pushes';
  if (call.seam === 'bitbucket') return 'Bitbucket calls';
  if (call.seam === 'egress') return 'provider calls';
  throw new Error(`no row counts ${call.seam} ${call.op}; add one to bench/calls.ts`);
}

/** `kvs set`, `bitbucket POST …/commit/{hash}/statuses/build`, `egress POST 127.0.0.1`: what a call was, without its ids. */
function shapeOf(call: SeamCall): string {
  if (call.seam === 'egress') {
    const [method = '', url = ''] = call.op.split(' ');
    return `egress ${method} ${URL.canParse(url) ? new URL(url).hostname : url}`;
  }
  const generic = call.op
    .replace(/%7B[0-9a-f-]{36}%7D|\{[0-9a-f-]{36}\}/gi, '{uuid}')
    .replace(/\b[0-9a-f]{40}\b/g, '{hash}')
    .replace(/\?.*$/, '');
  return `${call.seam} ${generic}`;
}

interface Counted {
  perPush: Tally;
  perDeploy: Tally;
  /** Platform round trips the deploy worker made before its request left, per deploy. */
  beforeSend: number;
  pushShapes: string;
  deployShapes: string;
}

/** In every invocation that started a deploy (its provider POST): the platform calls it made before that request. */
function callsBeforeSend(calls: readonly SeamCall[]): number {
  const byInvocation = new Map<string, SeamCall[]>();
  for (const call of calls) byInvocation.set(call.invocationId ?? '', [...(byInvocation.get(call.invocationId ?? '') ?? []), call]);
  let before = 0;
  for (const invocation of byInvocation.values()) {
    // The status poller's reads are GETs: only the worker starts a deploy.
    const sent = invocation.findIndex((call) => call.seam === 'egress' && call.op.startsWith('POST '));
    if (sent > 0) before += sent;
  }
  return before;
}

function count(calls: readonly SeamCall[], into: Tally, shapes: Map<string, number>): void {
  for (const call of calls) {
    into[kindOf(call)]++;
    const shape = shapeOf(call);
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
}

const perEach = (tally: Tally, n: number): Tally => Object.fromEntries(KINDS.map((k) => [k, round(tally[k] / n)])) as Tally;
const listShapes = (shapes: Map<string, number>, n: number): string =>
  [...shapes].map(([shape, times]) => `${shape} ×${round(times / n)}`).join(', ');

async function countCalls(scenario: Scenario): Promise<Counted> {
  const app = await startApp({ routes: scenario.routes });
  try {
    const targets = scenario.targets(app);
    await app.configure(targets, scenario.secretsOf);
    const zero = (): Tally => Object.fromEntries(KINDS.map((k) => [k, 0])) as Tally;
    const trigger = zero();
    const consumers = zero();
    const triggerShapes = new Map<string, number>();
    const consumerShapes = new Map<string, number>();
    let beforeSend = 0;
    for (let n = 1; n <= PUSHES; n++) {
      app.platform.resetCalls();
      await app.platform.emit(pushTo('main', n));
      count(app.platform.calls, trigger, triggerShapes);
      app.platform.resetCalls();
      await drainCleanly(app.platform);
      count(app.platform.calls, consumers, consumerShapes);
      beforeSend += callsBeforeSend(app.platform.calls);
    }
    const deploys = scenario.deploys(app);
    if (deploys !== PUSHES * targets.length) throw new Error(`${PUSHES} push(es) × ${targets.length} target(s) made ${deploys} deploy(s)`);
    return {
      perPush: perEach(trigger, PUSHES),
      perDeploy: perEach(consumers, deploys),
      beforeSend: round(beforeSend / deploys),
      pushShapes: listShapes(triggerShapes, PUSHES),
      deployShapes: listShapes(consumerShapes, deploys),
    };
  } finally {
    await app.close();
  }
}

export async function calls(): Promise<BenchResult> {
  const one = await countCalls(webhooks(1));
  const ten = await countCalls(webhooks(10));
  const every = await countCalls(webhooks(1, { coalesce: false }));
  const vendor = await digitalOceanVendor();
  const followed = await countCalls(vendor.scenario).finally(() => vendor.close());
  return {
    name: 'calls',
    title: `Remote calls per push and per deploy, counted at the platform's seams (${PUSHES} pushes per column)`,
    columns: [
      'remote calls',
      'ideal per push',
      'per push, 1 webhook',
      'per push, 10 webhooks',
      'ideal per deploy',
      'per deploy, webhook',
      'per deploy, 10 webhooks',
      'per deploy, webhook deploying every push',
      'ideal per followed deploy',
      'per deploy, DigitalOcean followed',
    ],
    rows: [
      ...KINDS.map((k) => [
        k,
        IDEAL_PER_PUSH[k],
        one.perPush[k],
        ten.perPush[k],
        IDEAL_PER_DEPLOY[k],
        one.perDeploy[k],
        ten.perDeploy[k],
        every.perDeploy[k],
        IDEAL_PER_FOLLOWED_DEPLOY[k],
        followed.perDeploy[k],
      ]),
      [
        'platform round trips before the request leaves',
        '',
        '',
        '',
        IDEAL_BEFORE_SEND,
        one.beforeSend,
        ten.beforeSend,
        every.beforeSend,
        IDEAL_BEFORE_SEND,
        followed.beforeSend,
      ],
    ],
    notes: [
      '"Per push" is the push trigger (Forge gives it 25 s and it must not wait on a PaaS); "per deploy" is everything the queue consumers then do (deploy worker, status poller), divided by the deploys the far end saw.',
      `A push, 1 webhook: ${one.pushShapes}.`,
      `A deploy, webhook: ${one.deployShapes}.`,
      `A deploy, webhook deploying every push: ${every.deployShapes}.`,
      "Before its request leaves, the worker reads the job's target, record, state and newest planned push (one batch) and the secrets, and takes the lease (one transaction); the first deploy to a target also creates its state (the 0.1). A target deploying every push also asks which older pushes are still planned (one query): they go first.",
      `A deploy, DigitalOcean reporting ${PHASES.join(', ')} on its reads: ${followed.deployShapes}.`,
    ],
    figures: {
      storage_reads_per_push: one.perPush['storage reads'],
      storage_writes_per_push: one.perPush['storage writes'],
      queue_pushes_per_push: one.perPush['queue pushes'],
      bitbucket_calls_per_push: one.perPush['Bitbucket calls'],
      queue_pushes_per_push_10_targets: ten.perPush['queue pushes'],
      worker_round_trips_before_send: one.beforeSend,
      storage_reads_per_deploy: one.perDeploy['storage reads'],
      storage_reads_per_deploy_every_push: every.perDeploy['storage reads'],
      storage_reads_per_followed_deploy: followed.perDeploy['storage reads'],
      storage_writes_per_followed_deploy: followed.perDeploy['storage writes'],
      bitbucket_calls_per_followed_deploy: followed.perDeploy['Bitbucket calls'],
      storage_writes_per_deploy: one.perDeploy['storage writes'],
      bitbucket_calls_per_deploy: one.perDeploy['Bitbucket calls'],
      provider_calls_per_deploy: one.perDeploy['provider calls'],
      provider_calls_per_followed_deploy: followed.perDeploy['provider calls'],
      queue_pushes_per_followed_deploy: followed.perDeploy['queue pushes'],
    },
  };
}
