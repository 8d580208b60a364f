/**
 * The per-invocation runtime the Forge SDK reads through two globals:
 * - `__forge_runtime__` (read at call time by @forge/api: getAppContext, metrics, asUser's proxy);
 * - `__forge_fetch__(descriptor, path, init)` (every product, storage and queue request).
 * Both are defined once per process over an AsyncLocalStorage, so concurrent invocations (and several
 * local platforms in one process) each see their own context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { EgressPolicy } from './egress';

/** What @forge/api and @forge/kvs pass as the first argument of `__forge_fetch__`. */
export interface FetchDescriptor {
  type: string;
  provider?: string;
  remote?: string;
  accountId?: string;
  contextAri?: string;
}

export interface ForgeRuntime {
  proxy: { token: string; url: string };
  contextAri?: string;
  appContext: {
    appId: string;
    appVersion: string;
    environmentId: string;
    environmentType: string;
    invocationId: string;
    installationId: string;
    functionKey: string;
    moduleKey: string;
    /** Forge's place for the permissions an installation was granted (@forge/api's `permissions` reads it). */
    permissions?: { external: { fetch: { backend: string[] } } };
  };
  tracing: { traceId: string; spanId: string };
  metrics: { counter: () => { incr: () => void }; timing: () => { measure: () => { stop: () => void } }; gauge: () => { set: () => void } };
  lambdaContext: { getRemainingTimeInMillis: () => number };
  externalAuth: unknown[];
}

/** The seams a platform serves; the router below picks one by descriptor. */
export interface Seams {
  kvs(path: string, init: RequestInit | undefined): Promise<Response>;
  bitbucket(method: string, path: string, body: string | undefined, caller: { asUser: boolean; accountId?: string }): Promise<Response>;
  stargate(path: string, init: RequestInit | undefined): Promise<Response>;
  /** The global `fetch` wrapper asks the active invocation's egress policy (see egress.ts). */
  egress: EgressPolicy;
}

export interface InvocationScope {
  runtime: ForgeRuntime;
  seams: Seams;
  /** The person the invocation acts for (resolver calls, emitted events), used by asUser(). */
  accountId?: string;
  /** The platform's clock: inside an invocation, `Date.now()` reads it (see installRuntimeGlobals). */
  now(): number;
}

export interface RuntimeSpec {
  appId: string;
  environmentId: string;
  installationId: string;
  functionKey: string;
  moduleKey: string;
  workspaceUuid?: string;
  timeoutSeconds: number;
}

const storage = new AsyncLocalStorage<InvocationScope>();
/** A clock for code outside invocations that shares the platform's time (a receiver checking a signature's age). */
const clocks = new AsyncLocalStorage<() => number>();

/**
 * Runs `fn` with `Date.now()` reading `now`. The platform's clock runs ahead of the real one (a retry
 * due in 15 minutes runs at once), and the parties the app talks to must agree with it on the time,
 * as a vendor's clock and Forge's do: a receiver verifies a signature's timestamp against it.
 */
export function atTime<T>(now: () => number, fn: () => T): T {
  return clocks.run(now, fn);
}

export function currentScope(): InvocationScope | undefined {
  return storage.getStore();
}

/** Runs `fn` as the scope's invocation, whose runtime reports the egress its policy grants. */
export function runInScope<T>(scope: InvocationScope, fn: () => Promise<T>): Promise<T> {
  const { appContext } = scope.runtime;
  const permissions = { external: { fetch: { backend: [...scope.seams.egress.granted] } } };
  return storage.run({ ...scope, runtime: { ...scope.runtime, appContext: { ...appContext, permissions } } }, fn);
}

/** `{abc}` and `abc` both give `ari:cloud:bitbucket::workspace/abc` (installContext has no braces). */
export function workspaceAri(workspaceUuid: string): string {
  return `ari:cloud:bitbucket::workspace/${workspaceUuid.replace(/[{}]/g, '')}`;
}

const noopMetrics: ForgeRuntime['metrics'] = {
  counter: () => ({ incr: () => undefined }),
  timing: () => ({ measure: () => ({ stop: () => undefined }) }),
  gauge: () => ({ set: () => undefined }),
};

export function makeRuntime(spec: RuntimeSpec): ForgeRuntime {
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  return {
    proxy: { token: `local-${randomUUID()}`, url: 'http://forge-proxy.local' },
    contextAri: spec.workspaceUuid ? workspaceAri(spec.workspaceUuid) : undefined,
    appContext: {
      appId: spec.appId,
      appVersion: '1.0.0',
      environmentId: spec.environmentId,
      environmentType: 'DEVELOPMENT',
      invocationId: randomUUID(),
      installationId: spec.installationId,
      functionKey: spec.functionKey,
      moduleKey: spec.moduleKey,
    },
    tracing: { traceId: randomUUID().replace(/-/g, ''), spanId: randomUUID().slice(0, 16) },
    metrics: noopMetrics,
    lambdaContext: { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) },
    externalAuth: [],
  };
}

/** A response the SDK turns into ProxyRequestError / NeedsAuthenticationError (`forge-proxy-error`). */
export function proxyError(status: number, reason: string): Response {
  return new Response(JSON.stringify({ message: reason }), { status, headers: { 'forge-proxy-error': reason } });
}

async function routeFetch(descriptor: FetchDescriptor, path: string, init: RequestInit | undefined): Promise<Response> {
  const scope = storage.getStore();
  if (!scope) {
    throw new Error(
      `Forge SDK call (${descriptor.type} ${path}) outside a local invocation: run app code through the platform (emit, drain, invokeResolver, run)`,
    );
  }
  if (descriptor.type === 'kvs') return scope.seams.kvs(path, init);
  if (descriptor.type === 'fpp' && descriptor.remote === 'stargate') return scope.seams.stargate(path, init);
  if (descriptor.type === 'fpp' && descriptor.remote === 'bitbucket') return bitbucketCall(scope, descriptor, path, init);
  // Jira, Confluence, GraphQL and remotes have no stand-in: fail the way a refused product call does.
  return proxyError(403, `REQUEST_PRODUCT_NOT_SERVED_LOCALLY ${descriptor.type}/${descriptor.remote ?? '?'}`);
}

function bitbucketCall(
  scope: InvocationScope,
  descriptor: FetchDescriptor,
  path: string,
  init: RequestInit | undefined,
): Promise<Response> {
  const asUser = descriptor.provider === 'user';
  const accountId = descriptor.accountId ?? scope.accountId;
  // asUser() without a user behind the invocation (a trigger, a consumer) has no token on Forge either.
  if (asUser && !accountId) return Promise.resolve(proxyError(401, 'NEEDS_AUTHENTICATION_ERR'));
  const body = typeof init?.body === 'string' ? init.body : undefined;
  return scope.seams.bitbucket((init?.method ?? 'GET').toUpperCase(), path, body, asUser ? { asUser, accountId } : { asUser });
}

const INSTALLED = Symbol.for('deploy-relay.local.runtime-installed');

/**
 * Defines the two globals once per realm; safe to call from every platform. It also points the clock
 * at the running invocation's platform clock: the queue runs on virtual time (a retry due in 15 minutes
 * runs at once), and the app's own decisions (a lease that expires, a retry that is not due yet) must
 * read the same time the queue keeps. Outside an invocation the clock is the real one.
 */
export function installRuntimeGlobals(): void {
  const g = globalThis as Record<string | symbol, unknown>;
  if (g[INSTALLED]) return;
  Object.defineProperty(globalThis, '__forge_runtime__', { configurable: true, get: () => storage.getStore()?.runtime });
  Object.defineProperty(globalThis, '__forge_fetch__', { configurable: true, value: routeFetch });
  const realNow = Date.now.bind(Date);
  Date.now = () => storage.getStore()?.now() ?? clocks.getStore()?.() ?? realNow();
  globalThis.Date = clockedDate(Date);
  g[INSTALLED] = true;
}

/**
 * `Date` with its argument-less forms (`new Date()`, `Date()`) reading `Date.now()`: on Forge every
 * reading of the time is the one real clock, so the app's, its libraries' and the platform's times
 * must agree here too. Dates made any other way, subclasses and `instanceof Date` are unchanged.
 */
function clockedDate(RealDate: DateConstructor): DateConstructor {
  const ClockedDate = function (this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(RealDate.now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [RealDate.now()] : args, new.target);
  } as unknown as DateConstructor;
  // The statics (now, parse, UTC) are the real Date's; every date, old or new, is an instance of both.
  Object.setPrototypeOf(ClockedDate, RealDate);
  (ClockedDate as { prototype: Date }).prototype = RealDate.prototype;
  return ClockedDate;
}
