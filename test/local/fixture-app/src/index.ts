/** The fixture app's functions, written as a real Forge app would write them. */
import api, { getAppContext, route } from '@forge/api';
import { InvocationError, InvocationErrorCode, Queue, type AsyncEvent } from '@forge/events';
import { kvs } from '@forge/kvs';
import Resolver from '@forge/resolver';

interface PushEvent {
  repository: { uuid: string };
  workspace: { uuid: string };
  push: { ref: string };
}

export interface RepoSettings {
  enabled: boolean;
  delayInSeconds?: number;
}

/** Bitbucket uuids come in braces, which KVS keys refuse. */
export const settingsKey = (repoUuid: string): string => `settings:${repoUuid.replace(/[{}]/g, '')}`;

const work = new Queue({ key: 'work' });

/** One storage read, one Bitbucket read, one queue push: the shape of the real push trigger. */
export async function pushTrigger(event: PushEvent): Promise<{ queued: number; invocationId: string }> {
  const invocationId = getAppContext().invocationId;
  const settings = await kvs.get<RepoSettings>(settingsKey(event.repository.uuid));
  if (!settings?.enabled) return { queued: 0, invocationId };
  const response = await api.asApp().requestBitbucket(route`/2.0/repositories/${event.workspace.uuid}/${event.repository.uuid}`);
  const repo = (await response.json()) as { full_name?: string };
  await work.push({ body: { ref: event.push.ref, repo: repo.full_name ?? '' }, delayInSeconds: settings.delayInSeconds ?? 0 });
  return { queued: 1, invocationId };
}

/** Asks for two retries, then records what the platform told it. */
export async function worker(event: AsyncEvent, context: { installContext?: string }): Promise<InvocationError | void> {
  const retryCount = event.retryContext?.retryCount ?? 0;
  if (retryCount < 2) {
    return new InvocationError({
      retryAfter: 30,
      retryReason: InvocationErrorCode.FUNCTION_UPSTREAM_RATE_LIMITED,
      retryData: { seen: retryCount },
    });
  }
  await kvs.set(`done:${String(event.body.ref)}`, {
    body: event.body,
    retryContext: event.retryContext,
    jobId: event.jobId,
    eventId: event.eventId,
    queueName: event.queueName,
    installContext: context.installContext,
  });
}

export async function doomedWorker(): Promise<void> {
  throw new Error('the PaaS is down for good');
}

/** How many tracked deliveries overlapped, overall and per `group`: read by the concurrency test. */
export const overlap = { running: 0, maxRunning: 0, byGroup: new Map<string, { running: number; max: number }>() };

export async function trackedWorker(event: AsyncEvent): Promise<void> {
  const group = overlap.byGroup.get(String(event.body.group)) ?? { running: 0, max: 0 };
  overlap.byGroup.set(String(event.body.group), group);
  overlap.running++;
  group.running++;
  overlap.maxRunning = Math.max(overlap.maxRunning, overlap.running);
  group.max = Math.max(group.max, group.running);
  await kvs.set(`tracked:${String(event.body.n)}`, { n: event.body.n });
  overlap.running--;
  group.running--;
}

/** Every delivery of the ledger queue, in the order they started, and how many of one key ran at once. */
export const ledger = {
  deliveries: [] as { n: number; key: string; eventId: string; retryCount: number; retryReason: string | null }[],
  running: new Map<string, number>(),
  maxRunning: 0,
};

/** Writes one key per delivery (a platform call an invocation can stop after), tracking overlap per concurrency group. */
export async function ledgerWorker(event: AsyncEvent): Promise<void> {
  const key = String(event.body.key);
  ledger.deliveries.push({
    n: Number(event.body.n),
    key,
    eventId: event.eventId,
    retryCount: event.retryContext?.retryCount ?? 0,
    retryReason: event.retryContext?.retryReason ?? null,
  });
  ledger.running.set(key, (ledger.running.get(key) ?? 0) + 1);
  ledger.maxRunning = Math.max(ledger.maxRunning, ledger.running.get(key) ?? 0);
  try {
    await kvs.set(`ledger:${String(event.body.n)}`, { n: event.body.n });
  } finally {
    ledger.running.set(key, (ledger.running.get(key) ?? 1) - 1);
  }
}

/** How often each flaky product event reached its trigger, and with which retry count. */
export const flaky: { type: string; retryCount: number }[] = [];

/** Asks Forge to deliver avi:fixture:flaky again, every time; throws on avi:fixture:throws. */
export async function flakyTrigger(event: { eventType: string; retryContext?: { retryCount: number } }): Promise<InvocationError> {
  flaky.push({ type: event.eventType, retryCount: event.retryContext?.retryCount ?? 0 });
  if (event.eventType === 'avi:fixture:throws') throw new Error('the trigger broke');
  return new InvocationError({ retryAfter: 5, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
}

const resolver = new Resolver();
resolver.define('getSettings', async ({ context }) => {
  const repoUuid = String(context.extension.repository.uuid);
  // The page is shown to admins, but the resolver checks anyway, as the person using the page.
  const permission = await api.asUser().requestBitbucket(route`/2.0/user/permissions/repositories?q=${`repository.uuid="${repoUuid}"`}`);
  return {
    accountId: context.accountId,
    installContext: context.installContext,
    permissionStatus: permission.status,
    settings: (await kvs.get<RepoSettings>(settingsKey(repoUuid))) ?? null,
  };
});
export const settingsResolver = resolver.getDefinitions();
