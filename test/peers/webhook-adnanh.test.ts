import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hookTarget, startApp, type TestApp } from '../platform/app';
import { freePort, type Peer, startPeer, waitUntilUp } from './processes';
import branchPush from '../fixtures/events/branch-push.json';
import { secretsSavedFor } from '../../src/providers/registry';

/**
 * The signed webhook checked by adnanh/webhook (Debian's `webhook` package), a receiver people deploy
 * with: its `payload-hmac-sha256` rule verifies X-Hub-Signature-256 with its own Go code, and only then
 * runs the command, which records the commit hash it was given.
 */
describe('signed webhook against adnanh/webhook', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'adnanh-'));
  const ran = path.join(dir, 'ran.txt');
  let peer: Peer;
  let hookUrl: string;
  let app: TestApp;

  beforeAll(async () => {
    const hooks = [
      {
        id: 'deploy',
        'execute-command': '/bin/sh',
        'include-command-output-in-response': true,
        'pass-arguments-to-command': [
          { source: 'string', name: '-c' },
          { source: 'string', name: `printf '%s\\n' "$0" >> '${ran}'` },
          { source: 'payload', name: 'commit.hash' },
        ],
        'trigger-rule-mismatch-http-response-code': 401,
        'trigger-rule': {
          match: {
            type: 'payload-hmac-sha256',
            secret: 'adnanh-shared-secret',
            parameter: { source: 'header', name: 'X-Hub-Signature-256' },
          },
        },
      },
    ];
    const config = path.join(dir, 'hooks.json');
    writeFileSync(config, JSON.stringify(hooks));
    writeFileSync(ran, '');
    const port = await freePort();
    peer = startPeer('webhook', ['-hooks', config, '-ip', '127.0.0.1', '-port', String(port), '-verbose']);
    hookUrl = `http://127.0.0.1:${port}/hooks/deploy`;
    await waitUntilUp(hookUrl, 10_000);
  });
  afterAll(async () => {
    await peer.stop();
  });
  afterEach(async () => {
    await app.close();
  });

  const deployWith = async (secret: string) => {
    app = await startApp();
    await app.configure([hookTarget({ ...app.receiver, url: hookUrl })]);
    // configure() stores the test secret; this case stores the one under test instead.
    const { putSecrets } = await import('../../src/forge/store');
    const target = hookTarget({ ...app.receiver, url: hookUrl });
    await app.platform.run(() => putSecrets(branchPush.repository.uuid, target.id, secretsSavedFor(target, { signingSecret: secret })));
    await app.platform.emit(branchPush);
    await app.platform.drain();
    return (await app.history())[0];
  };

  it('accepts the app’s signature and runs the deploy command with the pushed commit', async () => {
    const record = await deployWith('adnanh-shared-secret');
    expect(record?.state).toBe('requested');
    expect(readFileSync(ran, 'utf8').trim().split('\n')).toEqual([branchPush.push.after]);
  });

  // webhook 2.8 treats a bad signature as an error evaluating its rules (500), so the app retries it
  // as a fault before recording the failure; the command never runs.
  it('refuses a signature made with another secret, and the deploy ends failed without running', async () => {
    writeFileSync(ran, '');
    const record = await deployWith('some-other-secret');
    expect(record?.state).toBe('failed');
    expect(record?.message).toMatch(/^Failed after 5 attempts: .* answered 500: Error occurred while evaluating hook rules/);
    expect(readFileSync(ran, 'utf8')).toBe('');
  });
});
