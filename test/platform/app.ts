// The platform must load before any module that imports @forge/api: it installs the SDK's seams.
import { createLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../../local/platform';
import { startReceiver, type Receiver } from '../../local/receiver';
import type { Deployment } from '../../src/core/deployment';
import { getSecrets, listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import { secretsSavedFor } from '../../src/providers/registry';
import type { Target } from '../../src/core/targets';
import { FIXTURE_REPOSITORY_UUID, FIXTURE_WORKSPACE_UUID } from '../fixtures/events';
import { makeTarget } from '../fixtures/targets';

export const SIGNING_SECRET = 'whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz';

export interface TestApp {
  platform: LocalPlatform;
  receiver: Receiver;
  /** Stores targets and their secrets (by default the receiver's signing secret) as the settings page would. */
  configure(targets: Target[], secretsOf?: (target: Target) => Record<string, string>): Promise<void>;
  history(): Promise<Deployment[]>;
  statusesOf(commit: string): ReturnType<LocalPlatform['bitbucket']['statuses']>;
  close(): Promise<void>;
}

/** The app on the local Forge platform with a signed-webhook receiver, as a user would run them. */
export async function startApp(
  options: Pick<LocalPlatformOptions, 'routes' | 'harsh' | 'onStorageWrite'> & { respond?: (index: number) => number } = {},
): Promise<TestApp> {
  const { respond, ...platformOptions } = options;
  const platform = createLocalPlatform(platformOptions);
  const receiver = await startReceiver({ secret: SIGNING_SECRET, respond, now: platform.now });
  return {
    platform,
    receiver,
    async configure(targets, secretsOf = () => ({ signingSecret: SIGNING_SECRET })) {
      await platform.run(async () => {
        await putTargets({
          schemaVersion: 1,
          repository: { uuid: FIXTURE_REPOSITORY_UUID, workspaceUuid: FIXTURE_WORKSPACE_UUID, fullName: 'acme/web' },
          targets,
        });
        for (const target of targets) await putSecrets(FIXTURE_REPOSITORY_UUID, target.id, secretsSavedFor(target, secretsOf(target)));
      });
      platform.resetCalls();
    },
    history: async () => (await platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 100))).deployments,
    statusesOf: (commit) => platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, commit),
    async close() {
      await platform.close();
      await receiver.close();
    },
  };
}

/** A signed-webhook target aimed at the receiver, deploying the given branches and tags. */
export const hookTarget = (receiver: Receiver, overrides: Partial<Target> & { branches?: string[]; tags?: string[] } = {}): Target => {
  const { branches = ['main'], tags = [], ...rest } = overrides;
  return makeTarget({ settings: { url: receiver.url }, rules: { branches, tags, paths: { include: [], exclude: [] } }, ...rest });
};

export { getSecrets };
