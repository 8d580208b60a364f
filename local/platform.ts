/**
 * The local Forge platform: runs the app's functions (found through manifest.yml) with the real,
 * unmodified @forge/api, @forge/kvs, @forge/events and @forge/resolver, serving their seams from an
 * embedded SQLite store, a virtual-time queue broker, a Bitbucket stand-in and an egress guard.
 */
// First import on purpose: the egress guard must wrap the global fetch before anything loads @forge/api.
import { createEgressPolicy, type EgressRecord } from './egress';
import { createCustomerEgress, type CustomerEgress } from './customer-egress';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createBitbucketStandIn, type BitbucketStandIn } from './bitbucket';
import { documentedShapeProblems, PUSH_EVENT } from './bitbucket/events';
import { createBitbucketMirror } from './bitbucket/mirror';
import { createHarshness, type HarshFault, type HarshProfile } from './harsh';
import { createKvsStore, kvsOpName } from './kvs-store';
import { findTimeoutSeconds, type Handler, loadHandler, loadManifest, type LocalManifest } from './manifest';
import { createQueueBroker, createVirtualClock, type DeadLetter, type Delivery, type DrainOptions, type DrainResult } from './queue-broker';
import { jsonAnswer } from './seam-answer';
import { currentScope, installRuntimeGlobals, makeRuntime, runInScope, workspaceAri, type Seams } from './runtime';

export type { EgressRecord } from './egress';
export type { LocalManifest } from './manifest';
export type { AsyncEvent } from './queue-broker';

/** The two calls the platform itself makes on the stand-in; tests may pass a smaller fake. */
export type BitbucketSeam = Pick<BitbucketStandIn, 'handle' | 'recordPush'>;

export interface LocalPlatformOptions<B extends BitbucketSeam = BitbucketStandIn> {
  root?: string;
  storeFile?: string;
  routes?: Record<string, string>;
  allowLoopback?: boolean;
  bitbucket?: B;
  /**
   * Also sends every Bitbucket call to this base URL (Prism serving Bitbucket's spec, in the contract
   * tests); the stand-in still answers, and each mirrored request is logged in egressLog with its status.
   */
  bitbucketMirror?: string;
  log?: (line: string) => void;
  /** Caps retries per queue event (as @forge/events 1.x did: 4); default: Forge's 24 h retention window only. */
  maxRetries?: number;
  /** Does what Forge does not promise against, at these rates (harsh.ts); default: none of it. */
  harsh?: HarshProfile;
  /** Sees every storage write (its operation, as `transaction` or `batch/set`, and its JSON body) before the store does: a test checking what an app writes. */
  onStorageWrite?: (op: string, body: string) => void;
}

export interface SeamCall {
  seam: 'kvs' | 'queue' | 'bitbucket' | 'egress';
  op: string;
  /** What the call was about: a key, a where clause, a queue. */
  detail: string;
  invocationId?: string;
  /** Storage calls: the request's body and the answer's, in bytes (what Forge bills KVS reads and writes by). */
  requestBytes?: number;
  responseBytes?: number;
}

/** One function run: which, for how long (wall clock), and whether it ended well. */
export interface Invocation {
  functionKey: string;
  invocationId: string;
  ms: number;
  ok: boolean;
}
export interface InvocationOutcome {
  functionKey: string;
  ok: boolean;
  value?: unknown;
  error?: Error;
  /** The invocation was stopped (harsh profile) and counts as timed out. */
  timedOut?: boolean;
}

export interface LocalPlatform<B extends BitbucketSeam = BitbucketStandIn> {
  manifest: LocalManifest;
  bitbucket: B;
  calls: SeamCall[];
  /** Every function run since the platform started (or since resetCalls). */
  invocations: Invocation[];
  /** The functions running at this moment, one entry per invocation. */
  running(): string[];
  resetCalls(): void;
  egressLog: EgressRecord[];
  deadLetters: DeadLetter[];
  now(): number;
  /** Moves the virtual clock on (pushes that arrive over time, without waiting for queued events). */
  advanceClock(ms: number): void;
  /** How often each harsh fault happened so far (empty without a harsh profile). */
  harshFaults(): Map<HarshFault, number>;
  /** Delivers a product event to its triggers; an event that does not fit Forge's type reference is refused (see EmitOptions). */
  emit(event: { eventType: string } & Record<string, unknown>, options?: EmitOptions): Promise<InvocationOutcome[]>;
  drain(opts?: DrainOptions): Promise<DrainResult>;
  pendingEvents(): number;
  /** The next `count` queue pushes fail with `status` (default 500) and queue nothing. */
  failQueuePushes(count: number, status?: number): void;
  invokeResolver(
    functionKey: string,
    call: { functionKey: string; payload: unknown },
    extensionContext: Record<string, unknown>,
    accountId?: string,
  ): Promise<unknown>;
  run<T>(fn: () => Promise<T>, opts?: RunOptions): Promise<T>;
  /** The installation's customer-managed egress: what a page's `permissions.egress.*` calls reach, and who approves. */
  customerEgress: CustomerEgress;
  close(): Promise<void>;
}

export interface RunOptions {
  accountId?: string;
  workspaceUuid?: string;
  /** No harsh faults for this run: a test arranging its world (the targets an admin saved), not the app at work. */
  calm?: boolean;
}

export interface EmitOptions {
  /** Deliver it even though Forge would never send it: for tests of what the app does with a malformed event. */
  malformed?: boolean;
}

/** What one invocation runs as; the platform turns it into a runtime and a scope. */
interface InvocationSpec {
  functionKey: string;
  moduleKey: string;
  defaultTimeoutSeconds: number;
  workspaceUuid?: string;
  accountId?: string;
}

/** Forge's limits: triggers and resolvers 25 s, consumers 55 s unless timeoutSeconds says more. */
const TRIGGER_TIMEOUT_S = 25;
const CONSUMER_TIMEOUT_S = 55;

installRuntimeGlobals();

export function createLocalPlatform(options?: LocalPlatformOptions): LocalPlatform;
export function createLocalPlatform<B extends BitbucketSeam>(options: LocalPlatformOptions<B> & { bitbucket: B }): LocalPlatform<B>;
export function createLocalPlatform(options: LocalPlatformOptions<BitbucketSeam> = {}): LocalPlatform<BitbucketSeam> {
  const manifest = loadManifest(options.root ?? path.resolve(__dirname, '..'));
  const bitbucket = options.bitbucket ?? createBitbucketStandIn();
  const log = options.log ?? (() => undefined);
  const calls: SeamCall[] = [];
  const egressLog: EgressRecord[] = [];
  const clock = createVirtualClock(Date.now());
  const store = createKvsStore({ file: options.storeFile, now: clock.now, entities: manifest.entities });
  const installation = { environmentId: randomUUID(), installationId: randomUUID() };
  const harsh = options.harsh ? createHarshness(options.harsh) : undefined;

  const invocations: Invocation[] = [];
  const runningNow: string[] = [];
  /** `detail` may be a function: it is worked out (a body parsed again) only when something reads it. */
  const record = (seam: SeamCall['seam'], op: string, detail: string | (() => string)): SeamCall => {
    let described = typeof detail === 'string' ? detail : undefined;
    const call: SeamCall = {
      seam,
      op,
      get detail() {
        described ??= (detail as () => string)();
        return described;
      },
      invocationId: currentScope()?.runtime.appContext.invocationId,
    };
    calls.push(call);
    return call;
  };

  const recordEgress = (entry: EgressRecord): void => {
    egressLog.push(entry);
    record(
      'egress',
      `${entry.method} ${entry.url}`,
      entry.refused ? 'refused' : `${entry.status ?? entry.error ?? ''} via ${entry.routedUrl ?? ''}`,
    );
  };
  const customerEgress = createCustomerEgress({ enabled: manifest.customerEgress });
  const egress = createEgressPolicy({
    hosts: manifest.egressHosts,
    configured: () => customerEgress.backendDomains(),
    routes: options.routes ?? {},
    allowLoopback: options.allowLoopback ?? true,
    record: recordEgress,
  });
  const mirror = options.bitbucketMirror === undefined ? undefined : createBitbucketMirror(options.bitbucketMirror, recordEgress);

  const broker = createQueueBroker({
    consumers: manifest.consumers,
    clock,
    log,
    maxRetries: options.maxRetries,
    harsh,
    deliver: (delivery) => deliver(delivery),
  });

  /** A queue event for its consumer, or a product event for its trigger again (a retry). */
  function deliver(delivery: Delivery): Promise<InvocationOutcome> {
    const { workspaceUuid } = delivery.origin;
    if (delivery.kind === 'product') {
      return invoke([delivery.event, contextFor(workspaceUuid)], {
        functionKey: delivery.functionKey,
        moduleKey: delivery.moduleKey,
        defaultTimeoutSeconds: TRIGGER_TIMEOUT_S,
        workspaceUuid,
      }).then((outcome) => {
        broker.retryProductEvent({ ...delivery }, outcome);
        // The broker already rescheduled it: its own retry bookkeeping must not see a failure again.
        return { ...outcome, ok: true, timedOut: false, value: undefined };
      });
    }
    const { event } = delivery;
    return invoke([event, contextFor(workspaceUuid)], {
      functionKey: delivery.functionKey,
      moduleKey: manifest.consumers.find((c) => c.queue === event.queueName)?.key ?? delivery.functionKey,
      defaultTimeoutSeconds: CONSUMER_TIMEOUT_S,
      workspaceUuid,
    });
  }

  /**
   * KVS writes under a harsh profile: some fail before they apply, some after (the write happened and
   * the answer is lost, as when a request times out on its way back).
   */
  async function kvsSeam(kvsPath: string, init: RequestInit | undefined, calm: boolean): Promise<Response> {
    const op = kvsOpName(kvsPath);
    // A transaction's body (records and state, kilobytes) names no one key: not parsed again to say so.
    const call = record('kvs', op, op === 'transaction' ? '' : () => describeKvsBody(init?.body));
    call.requestBytes = typeof init?.body === 'string' ? Buffer.byteLength(init.body) : 0;
    if (options.onStorageWrite && isKvsWrite(kvsPath) && typeof init?.body === 'string') options.onStorageWrite(op, init.body);
    if (!harsh || calm || !isKvsWrite(kvsPath) || !harsh.chance(harsh.profile.kvsWriteFailRate)) {
      const response = await store.handle(kvsPath, init);
      call.responseBytes = Number(response.headers.get('content-length') ?? 0);
      return response;
    }
    const after = harsh.pick(2) === 0;
    if (after) await store.handle(kvsPath, init);
    const fault: HarshFault = after ? 'kvs write failed after applying' : 'kvs write failed before applying';
    harsh.count(fault);
    return jsonAnswer(500, { code: 'INTERNAL_SERVER_ERROR', message: `harsh platform: ${fault}` });
  }

  /**
   * The seams one invocation sees. A doomed invocation (harsh profile) stops for good right after its
   * n-th platform call has taken effect, as a function killed at its time limit: the call's effect
   * stays, its answer never comes back, and Forge retries the event as timed out.
   */
  function seamsFor(workspaceUuid: string | undefined, doom?: Doom, calm = false): Seams {
    const guard = async <T>(call: () => Promise<T>): Promise<T> => {
      const result = await call();
      if (doom && ++doom.calls >= doom.stopAfter) {
        doom.stop();
        return new Promise<T>(() => undefined);
      }
      return result;
    };
    return {
      kvs: (kvsPath, init) => guard(() => kvsSeam(kvsPath, init, calm)),
      stargate: (queuePath, init) =>
        guard(() => {
          record('queue', queueOp(queuePath), () => describeQueueBody(init?.body));
          return broker.handle(queuePath, init, { workspaceUuid });
        }),
      bitbucket: (method, bbPath, body, caller) =>
        guard(async () => {
          record('bitbucket', `${method} ${bbPath}`, caller.asUser ? `asUser ${caller.accountId ?? ''}` : 'asApp');
          await mirror?.(method, bbPath, body, caller);
          return bitbucket.handle(method, bbPath, body, caller);
        }),
      egress: { granted: egress.granted, fetch: (input, init, realFetch) => guard(() => egress.fetch(input, init, realFetch)) },
    };
  }

  function scopeFor(spec: InvocationSpec, doom?: Doom, calm = false) {
    const runtime = makeRuntime({
      appId: manifest.appId,
      ...installation,
      functionKey: spec.functionKey,
      moduleKey: spec.moduleKey,
      workspaceUuid: spec.workspaceUuid,
      timeoutSeconds: findTimeoutSeconds(manifest, spec.functionKey, spec.defaultTimeoutSeconds),
    });
    return { runtime, seams: seamsFor(spec.workspaceUuid, doom, calm), accountId: spec.accountId, now: clock.now };
  }

  /** Handlers loaded once per function, as a warm Forge container keeps its module loaded between invocations. */
  const handlers = new Map<string, Handler>();
  function handlerOf(functionKey: string): Handler {
    let handler = handlers.get(functionKey);
    if (!handler) handlers.set(functionKey, (handler = loadHandler(manifest, functionKey)));
    return handler;
  }

  /** Runs one function as Forge would; a failure (including a bad handler) is an outcome, not a throw. */
  async function invoke(args: [unknown, unknown], spec: InvocationSpec, mayCrash = true): Promise<InvocationOutcome> {
    let stopped: () => void = () => undefined;
    const stop = new Promise<typeof STOPPED>((resolve) => (stopped = () => resolve(STOPPED)));
    const doom: Doom | undefined =
      mayCrash && harsh?.chance(harsh.profile.crashRate)
        ? { calls: 0, stopAfter: 1 + harsh.pick(MAX_CALLS_BEFORE_CRASH), stop: stopped }
        : undefined;
    const scope = scopeFor(spec, doom);
    const { invocationId } = scope.runtime.appContext;
    log(`invoke ${spec.functionKey} (${spec.moduleKey}) ${invocationId}`);
    const started = performance.now();
    runningNow.push(spec.functionKey);
    const ended = (outcome: InvocationOutcome): InvocationOutcome => {
      invocations.push({ functionKey: spec.functionKey, invocationId, ms: performance.now() - started, ok: outcome.ok });
      runningNow.splice(runningNow.indexOf(spec.functionKey), 1);
      return outcome;
    };
    try {
      const handler = handlerOf(spec.functionKey);
      const value = await Promise.race([runInScope(scope, async () => handler(...args)), stop]);
      if (value === STOPPED) {
        harsh?.count('crashed');
        log(`function ${spec.functionKey} stopped after ${doom?.stopAfter} platform call(s): timed out`);
        const error = new Error(`${spec.functionKey} timed out (stopped by the harsh platform after ${doom?.stopAfter} platform call(s))`);
        return ended({ functionKey: spec.functionKey, ok: false, timedOut: true, error });
      }
      return ended({ functionKey: spec.functionKey, ok: true, value });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      log(`function ${spec.functionKey} failed: ${err.message}`);
      return ended({ functionKey: spec.functionKey, ok: false, error: err });
    }
  }

  /**
   * Delivers a product event to the triggers that listen for it, one after another in manifest order
   * (deterministic seam logs beat the little realism lost). A trigger that fails or asks for a retry
   * gets the event again through the queue, at most four times (Forge's product events page).
   */
  async function emit(event: { eventType: string } & Record<string, unknown>, emitOptions: EmitOptions = {}): Promise<InvocationOutcome[]> {
    const problems = emitOptions.malformed ? [] : documentedShapeProblems(event);
    if (problems.length > 0) {
      throw new Error(
        `Forge never sends this ${event.eventType} event (its type reference says otherwise): ${problems.slice(0, 5).join('; ')}`,
      );
    }
    if (event.eventType === PUSH_EVENT) bitbucket.recordPush(event);
    const workspaceUuid = uuidAt(event, 'workspace');
    const outcomes: InvocationOutcome[] = [];
    for (const trigger of manifest.triggers.filter((t) => t.events.includes(event.eventType))) {
      const spec = { functionKey: trigger.functionKey, moduleKey: trigger.key, defaultTimeoutSeconds: TRIGGER_TIMEOUT_S, workspaceUuid };
      const outcome = await invoke([event, contextFor(workspaceUuid)], spec);
      broker.retryProductEvent({ functionKey: trigger.functionKey, moduleKey: trigger.key, event, origin: { workspaceUuid } }, outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  /** As the UI bridge's `invoke` reaches a resolver: `({call, context}, backendRuntimePayload)`. */
  async function invokeResolver(
    functionKey: string,
    call: { functionKey: string; payload: unknown },
    extensionContext: Record<string, unknown>,
    accountId?: string,
  ): Promise<unknown> {
    const uiModule = manifest.uiModules.find((u) => u.resolverFunctionKey === functionKey);
    if (!uiModule) throw new Error(`no UI module in manifest.yml has function "${functionKey}" as its resolver`);
    const workspaceUuid = workspaceOfContext(extensionContext);
    const backendRuntimePayload = { principal: accountId ? { accountId } : undefined, ...contextFor(workspaceUuid) };
    // A resolver call that dies is an error on the page, not something the platform retries: the harsh
    // profile leaves resolvers alone and fails only what Forge retries or the app must handle.
    const outcome = await invoke(
      [{ call, context: extensionContext }, backendRuntimePayload],
      { functionKey, moduleKey: uiModule.key, defaultTimeoutSeconds: TRIGGER_TIMEOUT_S, workspaceUuid, accountId },
      false,
    );
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  function run<T>(fn: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const { calm, ...rest } = opts;
    const scope = scopeFor(
      { functionKey: 'local-run', moduleKey: 'local-run', defaultTimeoutSeconds: CONSUMER_TIMEOUT_S, ...rest },
      undefined,
      calm,
    );
    return runInScope(scope, fn);
  }

  return {
    manifest,
    bitbucket,
    calls,
    invocations,
    running: () => [...runningNow],
    resetCalls: () => {
      calls.length = 0;
      invocations.length = 0;
    },
    egressLog,
    deadLetters: broker.deadLetters,
    now: clock.now,
    advanceClock: (ms) => clock.advanceTo(clock.now() + ms),
    harshFaults: () => new Map(harsh?.counts ?? []),
    emit,
    drain: (opts) => broker.drain(opts),
    pendingEvents: broker.pending,
    failQueuePushes: broker.failPublishes,
    invokeResolver,
    customerEgress,
    run,
    close: () => store.close(),
  };
}

const STOPPED = Symbol('stopped');
/** A doomed invocation stops after one of its first few platform calls (most make fewer than ten). */
const MAX_CALLS_BEFORE_CRASH = 8;

interface Doom {
  calls: number;
  stopAfter: number;
  stop(): void;
}

const isKvsWrite = (kvsPath: string): boolean => /\/(set|delete|transaction)$/.test(kvsPath);

/** The `context` argument Forge passes to triggers and consumers. */
function contextFor(workspaceUuid: string | undefined): { installContext?: string } {
  return workspaceUuid ? { installContext: workspaceAri(workspaceUuid) } : {};
}

function uuidAt(event: Record<string, unknown>, field: string): string | undefined {
  const value = event[field];
  const uuid = typeof value === 'object' && value !== null ? (value as { uuid?: unknown }).uuid : undefined;
  return typeof uuid === 'string' ? uuid : undefined;
}

/** A Bitbucket page's context carries `workspaceId`; fixtures may put the workspace in `extension`. */
function workspaceOfContext(context: Record<string, unknown>): string | undefined {
  if (typeof context.workspaceId === 'string') return context.workspaceId;
  const extension = context.extension;
  return typeof extension === 'object' && extension !== null ? uuidAt(extension as Record<string, unknown>, 'workspace') : undefined;
}

function queueOp(queuePath: string): string {
  return /^\/webhook\/queue\/([a-z]+)\//.exec(queuePath)?.[1] ?? queuePath;
}

function parseBody(body: RequestInit['body']): Record<string, unknown> | unknown[] | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as Record<string, unknown> | unknown[];
  } catch {
    return undefined;
  }
}

/** `deploy-jobs: 2 event(s)` for a publish; the job id otherwise. */
function describeQueueBody(body: RequestInit['body']): string {
  const request = parseBody(body);
  if (!request || Array.isArray(request)) return '';
  const { queueName, payload, jobId } = request as { queueName?: string; payload?: unknown[]; jobId?: string };
  return Array.isArray(payload) ? `${queueName ?? '?'}: ${payload.length} event(s)` : `${queueName ?? '?'} job ${jobId ?? '?'}`;
}

/** The key, the query's where clause, or the batch size: enough to read a seam log. */
function describeKvsBody(body: RequestInit['body']): string {
  const request = parseBody(body);
  if (Array.isArray(request)) return `${request.length} item(s)`;
  if (!request) return '';
  if (typeof request.key === 'string') return request.key;
  if (request.where) return JSON.stringify(request.where);
  return '';
}
