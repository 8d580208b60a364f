import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startReceiver } from '../../local/receiver';
import { type CliRun, runCli } from '../fixtures/cli';
import branchPush from '../fixtures/events/branch-push.json';
import docsPush from '../fixtures/events/forge-docs-commit-push.json';
import { commitOf, makePushEvent } from '../fixtures/events';

const ROOT = path.resolve(__dirname, '../..');
const EVENT = path.join(ROOT, 'test/fixtures/events/branch-push.json');

/** `npm start -- --event E --targets T [--store S]`, with the targets (and an event object) written to a temporary file. */
async function replay(targets: object, event: string | object = EVENT, store?: string): Promise<CliRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-cli-'));
  const file = path.join(dir, 'targets.json');
  writeFileSync(file, JSON.stringify(targets));
  let eventFile = event;
  if (typeof event !== 'string') {
    eventFile = path.join(dir, 'event.json');
    writeFileSync(eventFile, JSON.stringify(event));
  }
  return runCli(['--event', eventFile as string, '--targets', file, ...(store ? ['--store', store] : [])]);
}

const committed = (receiver: Awaited<ReturnType<typeof startReceiver>>) =>
  receiver.deliveries.filter((d) => d.status === 200).map((d) => (JSON.parse(d.body) as { commit: { hash: string } }).commit.hash);

const targetsFor = (url: string, signingSecret: string) => ({
  targets: [
    { id: 'cli-hook', name: 'CLI', provider: 'webhook', settings: { url }, secrets: { signingSecret }, rules: { branches: ['main'] } },
  ],
});

describe('npm start -- --event E --targets T', () => {
  it('delivers the event’s commit to a receiver that verifies X-Hub-Signature-256 on its own, and exits 0', async () => {
    const receiver = await startReceiver({ secret: 'a-shared-secret-of-some-length' });
    try {
      const result = await replay(targetsFor(receiver.url, 'a-shared-secret-of-some-length'));
      expect(result.code).toBe(0);
      expect(
        receiver.deliveries.map((d) => [d.hubSignatureValid, (JSON.parse(d.body) as { commit: { hash: string } }).commit.hash]),
      ).toEqual([[true, branchPush.push.after]]);
      expect(result.stdout).toMatch(/history\s+requested\s+CLI <- branch main/);
    } finally {
      await receiver.close();
    }
  });

  it("delivers the Forge docs' own example push (issue 9: it used to be refused for its boolean mainbranch)", async () => {
    const receiver = await startReceiver({ secret: 'a-shared-secret-of-some-length' });
    try {
      const result = await replay(
        targetsFor(receiver.url, 'a-shared-secret-of-some-length'),
        path.join(ROOT, 'test/fixtures/events/forge-docs-commit-push.json'),
      );
      expect(result.code).toBe(0);
      expect(committed(receiver)).toEqual([docsPush.push.after]);
    } finally {
      await receiver.close();
    }
  });

  describe('replayed one after another against one kept store', () => {
    const A = 'a1'.repeat(20);
    const B = 'b2'.repeat(20);
    const pushOf = (second: number, before: string | null, after: string, forced = false) =>
      makePushEvent({
        timestamp: `2026-11-20T10:16:${String(second).padStart(2, '0')}.000000Z`,
        push: { before, after, forced, commits: [commitOf(after, `to ${after.slice(0, 2)}`)] },
      });

    it('git rollback: pushes of A, B, then a forced push back to A reach the receiver as A, B, A', async () => {
      const receiver = await startReceiver({ secret: 'a-shared-secret-of-some-length' });
      const store = path.join(mkdtempSync(path.join(tmpdir(), 'relay-store-')), 'relay.sqlite');
      const targets = targetsFor(receiver.url, 'a-shared-secret-of-some-length');
      try {
        for (const event of [pushOf(1, null, A), pushOf(2, A, B), pushOf(3, B, A, true)])
          expect((await replay(targets, event, store)).code).toBe(0);
        expect(committed(receiver)).toEqual([A, B, A]);
      } finally {
        await receiver.close();
      }
    });

    it('a push with an older timestamp replayed after a newer one does not reach the receiver after it', async () => {
      const receiver = await startReceiver({ secret: 'a-shared-secret-of-some-length' });
      const store = path.join(mkdtempSync(path.join(tmpdir(), 'relay-store-')), 'relay.sqlite');
      const targets = targetsFor(receiver.url, 'a-shared-secret-of-some-length');
      try {
        expect((await replay(targets, pushOf(5, A, B), store)).code).toBe(0);
        const late = await replay(targets, pushOf(4, null, A), store);
        expect(late.code).toBe(0);
        expect(late.stdout).toMatch(/history\s+superseded\s+CLI .*a newer push \(main b2b2b2b\) was already sent/);
        expect(committed(receiver)).toEqual([B]);
      } finally {
        await receiver.close();
      }
    });
  });

  it('exits non-zero when the receiver refuses the signature', async () => {
    const receiver = await startReceiver({ secret: 'the-receiver-expects-this-one' });
    try {
      const result = await replay(targetsFor(receiver.url, 'but-the-target-signs-with-this'));
      expect(result.code).toBe(1);
      expect(receiver.deliveries.map((d) => d.status)).toEqual([401]);
      expect(result.stdout).toMatch(/history\s+failed\s+CLI .*answered 401/);
    } finally {
      await receiver.close();
    }
  });

  it('exits 2 with a clear message for a targets file that is not valid', async () => {
    const result = await replay({ targets: [{ id: 'Bad Id', name: '', provider: 'webhook', settings: {} }] });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: targets file, target 1: id: must be 1-27 lowercase letters, digits or dashes; name:');
  });
});

describe('npm start -- --event CREATED --event DECLINED --commit HASH (a preview target)', () => {
  const CREATED = path.join(ROOT, 'test/fixtures/events/pullrequest-created.json');
  // The Forge docs' own declined pull request: its source commit is the 12-character cc2758d231fc.
  const DECLINED = path.join(ROOT, 'test/fixtures/events/forge-docs-pullrequest-rejected.json');
  const FULL = 'cc2758d231fc9b1e0a4f7c3d2e6b8a0f1c3e5d7b';
  const SECRET = 'a-shared-secret-of-some-length';

  async function previews(args: readonly string[], receiverUrl: string): Promise<CliRun> {
    const dir = mkdtempSync(path.join(tmpdir(), 'relay-cli-'));
    const file = path.join(dir, 'targets.json');
    const target = {
      id: 'pr-hook',
      name: 'Previews',
      provider: 'webhook',
      settings: { url: receiverUrl },
      secrets: { signingSecret: SECRET },
    };
    writeFileSync(file, JSON.stringify({ targets: [{ ...target, rules: { branches: ['master'] }, preview: { allowForks: false } }] }));
    return runCli(['--targets', file, ...args]);
  }

  it('delivers a signed preview with the full 40-character commit, then its preview_teardown, as Bitbucket told the replay', async () => {
    const receiver = await startReceiver({ secret: SECRET });
    try {
      const result = await previews(['--event', CREATED, '--event', DECLINED, '--commit', FULL], receiver.url);
      expect(result.code).toBe(0);
      const bodies = receiver.deliveries.map((d) => ({
        signed: d.hubSignatureValid && d.standardWebhooksValid,
        ...(JSON.parse(d.body) as { event: string; pull_request: unknown }),
      }));
      const pullRequest = {
        id: 2,
        title: 'PR title',
        source: { branch: 'Joshua-Tang/gitignore-edited-online-with-bitbucket-1683871668235', commit: FULL },
        destination: { branch: 'master' },
        author: { account_id: '712020:f44b4850-c6f6-54ce-9722-b800af117eb4', display_name: 'Jane Smith' },
      };
      expect(bodies.map(({ signed, event, pull_request }) => ({ signed, event, pull_request }))).toEqual([
        { signed: true, event: 'preview', pull_request: pullRequest },
        { signed: true, event: 'preview_teardown', pull_request: pullRequest },
      ]);
      expect(result.stdout).toMatch(/commit\s+Preview of #2 on Previews: SUCCESSFUL \(The receiver accepted the teardown \(200\)\)/);
    } finally {
      await receiver.close();
    }
  });

  it('without --commit, records the preview as failed with why (Bitbucket does not know the short hash) and sends nothing', async () => {
    const receiver = await startReceiver({ secret: SECRET });
    try {
      const result = await previews(['--event', CREATED], receiver.url);
      expect(result.code).toBe(1);
      expect(receiver.deliveries).toEqual([]);
      expect(result.stdout).toMatch(/history\s+failed\s+Previews .*could not tell this pull request's commit cc2758d231fc: .*404/);
      expect(result.stdout).toMatch(/hint\s+.*--commit/);
    } finally {
      await receiver.close();
    }
  });
});
