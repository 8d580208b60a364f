import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startReceiver } from '../../local/receiver';
import { type CliRun, runCli } from '../fixtures/cli';
import branchPush from '../fixtures/events/branch-push.json';

const ROOT = path.resolve(__dirname, '../..');
const EVENT = path.join(ROOT, 'test/fixtures/events/branch-push.json');

/** `npm start -- --event E --targets T`, with the targets written to a temporary file. */
async function replay(targets: object): Promise<CliRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-cli-'));
  const file = path.join(dir, 'targets.json');
  writeFileSync(file, JSON.stringify(targets));
  return runCli(['--event', EVENT, '--targets', file]);
}

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
