// The platform (through the page harness) comes first: it wraps fetch before @forge/api loads.
import { ADMIN, openSession, REPO, WORKSPACE } from '../page/settings-harness';
import type { LocalPlatform, LocalPlatformOptions } from '../../local/platform';
import type { Deployment } from '../../src/core/deployment';
import { kvs } from '@forge/kvs';
import type { CancelView, DeployNowResult, Result, VerifyView } from '../../src/core/settings-api';
import { type Target, TARGETS_SCHEMA_VERSION } from '../../src/core/targets';
import { appLogger } from '../../src/forge/log';
import { forgeHttpClient } from '../../src/forge/http';
import { deploymentKey, getSecrets, listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import type { BoundProvider, ProviderCall, StartResult, StatusResult } from '../../src/core/provider';
import { bindProvider, secretsSavedFor } from '../../src/providers/registry';
import { secretsFor } from '../../src/core/secrets';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';
import { makeTarget } from '../fixtures/targets';

/**
 * The app on the local Forge platform with its outbound calls routed to peers (Prism serving a vendor's
 * spec, a recording server): pushes go through the real trigger, queue and worker; verify through the
 * real settings resolver as the repository's admin; a status read as the poller makes it.
 * Everything happens in acme/web of local/fixtures/workspace.json, where ADMIN administers.
 */
export interface RelayOnPeers {
  platform: LocalPlatform;
  /** Stores the targets and their secrets as the settings page would. */
  configure(targets: readonly { target: Target; secrets: Record<string, string> }[]): Promise<void>;
  /**
   * Pushes a new commit (changing `files`) to main, runs every queued event to the end (or, with
   * `advanceClock: false`, those due now), and gives this push's records.
   */
  push(files?: string[], drain?: { advanceClock?: boolean }): Promise<Deployment[]>;
  /**
   * Opens a pull request from a new branch `open` into main (or declines the open pull request `decline`)
   * through the Bitbucket stand-in, emits its event and runs every queued event to the end: the
   * pull request's id and its preview records, newest first.
   */
  pullRequest(action: { open: string } | { decline: number }): Promise<{ id: number; records: Deployment[] }>;
  /** A resolver of the settings page, called as the repository's admin. */
  resolve<T>(functionKey: string, payload?: unknown): Promise<Result<T>>;
  verify(targetId: string): Promise<VerifyView>;
  /** The provider's status read for a deploy it accepted, run on the platform as the status poller runs it. */
  follow(record: Deployment): Promise<StatusResult>;
  /** The provider's look for a deploy whose answer was lost, run on the platform as the deploy worker runs it. */
  findDeploy(record: Deployment): Promise<StartResult | null>;
  /**
   * Marks `record` succeeded (Prism's examples never finish a deploy), then asks for *Redeploy this
   * commit* through the settings resolver and runs the queue to the end: the redeploy's record.
   */
  redeploy(record: Deployment): Promise<Deployment>;
  /**
   * Marks `record` in progress with the vendor's id `vendorId` (Prism's examples end a deploy at once),
   * then asks for *Cancel* through the settings resolver: its answer.
   */
  cancel(record: Deployment, vendorId: string): Promise<Result<CancelView>>;
  close(): Promise<void>;
}

export { REPO, WORKSPACE };

/** A target of the fixture repository deploying main. */
export const targetFor = (provider: string, id: string, settings: Target['settings']): Target =>
  makeTarget({ id, name: id, provider, environment: 'production', settings });

let commits = 0;
/** The fixture admin's Bitbucket uuid, as a git push names its actor. */
const ADMIN_UUID = '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}';

export function startRelay(options: LocalPlatformOptions): RelayOnPeers {
  const session = openSession(options);
  const platform = session.platform;
  const asAdmin = session.invokeAs(ADMIN);
  const resolve = <T>(functionKey: string, payload?: unknown) => asAdmin(functionKey, payload) as Promise<Result<T>>;
  let targets: Target[] = [];

  /** Runs `use` on the platform with the record's target bound to its provider, as the consumers do. */
  function withProvider<T>(record: Deployment, use: (bound: BoundProvider, call: ProviderCall<never>) => Promise<T>): Promise<T> {
    const target = targets.find((t) => t.id === record.target.id);
    if (!target) throw new Error(`${record.target.id}: no such target`);
    return platform.run(async () => {
      const bound = bindProvider(target);
      const stored = await getSecrets(REPO, target.id);
      const log = appLogger.child({ targetId: target.id }, Object.values(stored.values));
      const call = {
        target,
        settings: bound.settings,
        secrets: secretsFor(stored, target, bound.hosts),
        repository: { uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' },
        http: forgeHttpClient(log),
        log,
        now: Date.now,
      };
      return use(bound, call);
    });
  }

  return {
    platform,
    resolve,
    async configure(entries) {
      targets = entries.map((e) => e.target);
      await platform.run(async () => {
        await putTargets({
          schemaVersion: TARGETS_SCHEMA_VERSION,
          repository: { uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' },
          targets,
        });
        for (const { target, secrets } of entries) await putSecrets(REPO, target.id, secretsSavedFor(target, secrets));
      });
    },
    async push(files = ['src/app.ts'], drain = {}) {
      commits += 1;
      const before = platform.bitbucket.branchHead(REPO, 'main');
      // The event names no files: the stand-in learns them here, for the diffstat of path filters.
      const after = platform.bitbucket.addCommit(REPO, { hash: hashOf(commits), parents: before ? [before] : [], files });
      // Each push a second after the last: the app orders pushes by the event's timestamp.
      platform.advanceClock(1000);
      const event = makePushEvent({
        timestamp: new Date(platform.now()).toISOString(),
        repository: { uuid: REPO },
        workspace: { uuid: WORKSPACE },
        push: { before, after, commits: [commitOf(after, `Contract test push ${commits}`)] },
      });
      const [outcome] = await platform.emit(event);
      if (!outcome?.ok) throw new Error(`the push trigger failed: ${outcome?.error?.message ?? 'no trigger ran'}`);
      await platform.drain(drain);
      const page = await platform.run(() => listDeployments(REPO, 100));
      return page.deployments.filter((d) => d.commit.hash === after);
    },
    async pullRequest(action) {
      platform.advanceClock(1000);
      const at = new Date(platform.now()).toISOString();
      let event;
      if ('open' in action) {
        const actor = { accountId: ADMIN, uuid: ADMIN_UUID };
        platform.bitbucket.push(REPO, { ref: action.open, messages: [`Work on ${action.open}`], actor, timestamp: at });
        event = platform.bitbucket.openPullRequest(REPO, {
          title: `Preview ${action.open}`,
          source: action.open,
          destination: 'main',
          authorAccountId: ADMIN,
          timestamp: at,
        });
      } else event = platform.bitbucket.closePullRequest(REPO, action.decline, 'declined', at);
      const [outcome] = await platform.emit(event);
      if (!outcome?.ok) throw new Error(`the pull-request trigger failed: ${outcome?.error?.message ?? 'no trigger ran'}`);
      await platform.drain();
      const id = (event.pullrequest as { id: number }).id;
      const page = await platform.run(() => listDeployments(REPO, 100));
      return { id, records: page.deployments.filter((d) => d.preview?.pullRequest.id === id) };
    },
    async verify(targetId) {
      const result = await resolve<VerifyView>('verifyTarget', { id: targetId });
      if (!result.ok) throw new Error(`verifyTarget failed: ${result.error.code} ${result.error.message}`);
      return result.data;
    },
    follow(record) {
      if (record.vendorId === null) throw new Error(`${record.target.id}: the vendor gave no id to follow`);
      const vendorId = record.vendorId;
      return withProvider(record, ({ provider }, call) => {
        if (!provider.status) throw new Error(`${record.target.provider} cannot report an outcome`);
        return provider.status(call, vendorId);
      });
    },
    findDeploy(record) {
      return withProvider(record, ({ provider }, call) => {
        if (!provider.findDeploy) throw new Error(`${record.target.provider} cannot list its deploys`);
        return provider.findDeploy(call, { commit: record.commit.hash, sentAt: record.sentAt ?? record.createdAt });
      });
    },
    async redeploy(record) {
      await platform.run(() => kvs.set(deploymentKey(REPO, record.id), { ...record, state: 'succeeded' }));
      platform.advanceClock(1000);
      const asked = await resolve<DeployNowResult>('redeploy', { deploymentId: record.id });
      if (!asked.ok) throw new Error(`redeploy refused: ${asked.error.code} ${asked.error.message}`);
      await platform.drain();
      const page = await platform.run(() => listDeployments(REPO, 100));
      const redeployed = page.deployments.find((d) => d.deliveryId === asked.data.deliveryId);
      if (!redeployed) throw new Error('the redeploy left no record');
      return redeployed;
    },
    async cancel(record, vendorId) {
      await platform.run(() => kvs.set(deploymentKey(REPO, record.id), { ...record, state: 'in_progress', vendorId }));
      platform.advanceClock(1000);
      return resolve<CancelView>('cancelDeploy', { deploymentId: record.id });
    },
    close: () => platform.close(),
  };
}
