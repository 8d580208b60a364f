import { createLogger } from '../../src/core/log';
import type { DeployCall } from '../../src/core/provider';
import { webhookProvider } from '../../src/providers/webhook';
import { verifyHubSignature } from '../../local/receiver';
import { makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, type Reply } from './loopback-vendor';

const SECRET = 'webhook-provider-test-secret';
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('the signed webhook provider', () => {
  let reply: () => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor(() => reply());
  const { http, seen } = vendor;

  const callFor = (preview?: 'deploy' | 'teardown'): DeployCall<{ url: string }> => ({
    job: preview ? makePreviewJob(preview) : makePreviewJob('deploy', { preview: undefined }),
    target: makeTarget({ id: 'previews', provider: 'webhook' }),
    settings: { url: 'https://hooks.example.com/deploy' },
    secrets: { signingSecret: SECRET },
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => 1_763_633_800_000,
  });
  const bodyOf = (index: number) => JSON.parse(seen[index]?.body ?? '') as Record<string, unknown>;

  it('posts a preview and its teardown, signed as a deploy is, with the pull request and its full source commit', async () => {
    const previews = webhookProvider.previews!;
    await previews.deploy(callFor('deploy'));
    await previews.teardown(callFor('teardown'));
    expect(seen.map((_s, i) => bodyOf(i).event)).toEqual(['preview', 'preview_teardown']);
    expect(bodyOf(0).pull_request).toEqual({
      id: 7,
      title: 'Log in with SSO',
      source: { branch: 'feature/login', commit: HEAD },
      destination: { branch: 'main' },
      author: { account_id: 'acc-1', display_name: 'Ada' },
    });
    for (const request of seen)
      expect(verifyHubSignature(SECRET, request.body, request.headers['x-hub-signature-256'] as string)).toBe(true);
  });

  it.each([
    [{ url: 'https://pr-7.preview.example.com' }, 'https://pr-7.preview.example.com'],
    [{ url: 'javascript:alert(1)' }, null],
    [{ url: 'not a url' }, null],
    ['ok', null],
    [{ accepted: true }, null],
  ])('links the address a receiver answers with (%j), and nothing else', async (body, url) => {
    reply = () => ({ status: 200, body });
    expect((await webhookProvider.start(callFor())).url).toBe(url);
  });
});
