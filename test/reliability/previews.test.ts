// The platform must load before any module that imports @forge/api: it installs the SDK's seams.
import { createLocalPlatform, type LocalPlatform } from '../../local/platform';
import { harshProfile } from '../../local/harsh';
import { createBitbucketStandIn, type PushEventJson } from '../../local/bitbucket';
import type { PullRequestEventJson } from '../../local/bitbucket/pullrequests';
import { startReceiver, type Receiver } from '../../local/receiver';
import { isFinal } from '../../src/core/deployment';
import { listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import { secretsSavedFor } from '../../src/providers/registry';
import { makeTarget } from '../fixtures/targets';
import { seededRandom } from './fault-plan';
import { storedShapeChecker } from '../platform/stored-shapes';

/**
 * Pull-request traffic on the harsh platform (local/harsh.ts: queue events out of order, twice, two of
 * one lane at once, invocations stopped midway, storage writes and queue pushes failing), with the
 * pull-request events themselves delivered out of order and some twice, as Forge may. Each of 12 pull
 * requests is opened and updated twice, to two preview targets; then it is merged or declined, or (every
 * third one) its source branch is deleted with the pull request left open, so only the push that deletes
 * the branch can tear its previews down. Whatever happened on the way, at the end, for every pull request
 * and target:
 * - its teardown reached the receiver, and no preview request after it (a late deploy never revives it);
 * - every preview request the receiver got was signed, and for a commit of that pull request;
 * - every record is final, and nothing is left in the dead letters;
 * - the pull request has exactly one comment from the app, and it says each preview was torn down.
 */

const REPO = '{7b0c2d4e-6f81-4a3b-9c5d-e7f091a2b3c4}';
const SECRET = 'relay-previews-harsh-secret-0001';
const ACTOR = { accountId: '557058:admin-0001', uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}' };
const PULL_REQUESTS = 12;

type DeliveredEvent = PullRequestEventJson | PushEventJson;

/** The documented push of a branch's deletion, made from the branch's last push: no commits, no `after`. */
function branchDeletion(lastPush: PushEventJson, timestamp: string): PushEventJson {
  const { after, ...push } = lastPush.push as { after: string } & Record<string, unknown>;
  return { ...lastPush, timestamp, push: { ...push, before: after, closed: true, created: false, commits: [] } };
}

interface Received {
  event: string;
  commit: { hash: string };
  pull_request: { id: number };
}

async function run(seed: number, maxRetries: number | undefined) {
  const random = seededRandom(seed);
  const bitbucket = createBitbucketStandIn();
  const shapes = storedShapeChecker();
  const app: LocalPlatform = createLocalPlatform({ bitbucket, harsh: harshProfile(seed), maxRetries, onStorageWrite: shapes.observe });
  const receiver: Receiver = await startReceiver({ secret: SECRET, now: app.now });
  try {
    bitbucket.addRepository({ workspace: 'acme', uuid: REPO, slug: 'previews' });
    const start = app.now();
    const at = (step: number) => new Date(start + step * 1000).toISOString();
    bitbucket.push(REPO, { ref: 'main', messages: ['Initial'], actor: ACTOR, timestamp: at(0) });
    const targets = ['pr-a', 'pr-b'].map((id) =>
      makeTarget({ id, name: id, settings: { url: receiver.url }, preview: { allowForks: false } }),
    );
    await app.run(
      async () => {
        await putTargets({
          schemaVersion: 1,
          repository: { uuid: REPO, workspaceUuid: '{3f2a6c1e-8b4d-4e7a-9c15-2d6e8f0a1b37}', fullName: 'acme/previews' },
          targets,
        });
        for (const target of targets) await putSecrets(REPO, target.id, secretsSavedFor(target, { signingSecret: SECRET }));
      },
      { calm: true },
    );

    // Each pull request's life, as Bitbucket emits it: opened, two pushes to its branch, then closed or its branch deleted.
    const events: DeliveredEvent[] = [];
    const commitsOf = new Map<number, Set<string>>();
    let step = 1;
    for (let id = 1; id <= PULL_REQUESTS; id += 1) {
      const branch = `feature/${id}`;
      const mine = new Set<string>();
      let lastPush: PushEventJson | undefined;
      const pushTo = () => {
        lastPush = bitbucket.push(REPO, { ref: branch, messages: [`work ${step}`], actor: ACTOR, timestamp: at(step++) });
        mine.add((lastPush.push as { after: string }).after);
      };
      pushTo();
      events.push(
        bitbucket.openPullRequest(REPO, {
          title: `PR ${id}`,
          source: branch,
          destination: 'main',
          authorAccountId: ACTOR.accountId,
          timestamp: at(step++),
        }),
      );
      for (let update = 0; update < 2; update += 1) {
        pushTo();
        events.push(bitbucket.updatePullRequest(REPO, id, at(step++)));
      }
      if (id % 3 === 0 && lastPush) events.push(branchDeletion(lastPush, at(step++)));
      else events.push(bitbucket.closePullRequest(REPO, id, random() < 0.5 ? 'merged' : 'declined', at(step++)));
      commitsOf.set(id, mine);
    }
    // Forge delivers product events late and out of order, some twice: a branch's deletion may come
    // before its pull request's `created`, whose check must then tear down what it deploys.
    const delivered = [...events, ...events.filter(() => random() < 0.15)];
    for (let i = delivered.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [delivered[i], delivered[j]] = [delivered[j] as DeliveredEvent, delivered[i] as DeliveredEvent];
    }
    for (const [index, event] of delivered.entries()) {
      await app.emit(event);
      // Some of the queue runs between deliveries, the rest after.
      if (index % 5 === 4) await app.drain({ concurrency: 4, advanceClock: false });
    }
    await app.drain({ concurrency: 4 });

    const received = receiver.deliveries.map((d) => ({
      signed: d.hubSignatureValid && d.standardWebhooksValid,
      ...(JSON.parse(d.body) as Received & { target: { id: string } }),
    }));
    const records = (await app.run(() => listDeployments(REPO, 1000), { calm: true })).deployments;
    const problems: string[] = [];
    for (let id = 1; id <= PULL_REQUESTS; id += 1) {
      for (const target of targets) {
        const requests = received.filter((r) => r.pull_request?.id === id && r.target.id === target.id);
        const firstTeardown = requests.findIndex((r) => r.event === 'preview_teardown');
        if (firstTeardown === -1) problems.push(`#${id} ${target.id}: no teardown reached the receiver`);
        else if (requests.slice(firstTeardown).some((r) => r.event === 'preview'))
          problems.push(`#${id} ${target.id}: a preview was sent after its teardown`);
        for (const r of requests)
          if (!commitsOf.get(id)?.has(r.commit.hash))
            problems.push(`#${id} ${target.id}: commit ${r.commit.hash} is not the pull request's`);
      }
      const comments = bitbucket.pullRequestComments(REPO, id);
      if (comments.length !== 1) problems.push(`#${id}: ${comments.length} comments`);
      else if ((comments[0]?.raw.match(/torn down/g) ?? []).length !== targets.length)
        problems.push(`#${id}: the comment says ${JSON.stringify(comments[0]?.raw)}`);
    }
    for (const r of received) if (!r.signed) problems.push(`an unsigned request for #${r.pull_request?.id}`);
    for (const record of records) if (!isFinal(record.state)) problems.push(`record ${record.id} is ${record.state}`);
    problems.push(...shapes.problems());
    return { problems, deadLetters: app.deadLetters.length, faults: Object.fromEntries(app.harshFaults()), requests: received.length };
  } finally {
    await receiver.close();
    await app.close();
  }
}

describe('pull-request previews on the harsh platform', () => {
  it.each([
    { seed: 11, maxRetries: 4 },
    { seed: 12, maxRetries: undefined },
  ])(
    'every preview is torn down last, never revived, and each pull request has one comment (seed $seed, retry cap $maxRetries)',
    async ({ seed, maxRetries }) => {
      const result = await run(seed, maxRetries);
      expect(result.problems).toEqual([]);
      expect(result.deadLetters).toBe(0);
      // The faults really happened in this run.
      expect(Object.keys(result.faults).length).toBeGreaterThan(2);
    },
    120_000,
  );
});
