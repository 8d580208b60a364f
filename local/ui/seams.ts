/**
 * The two seams a UI Kit page uses to reach the product, emulated in Node:
 *
 * - @forge/bridge reads `globalThis.__bridge.callBridge` ONCE, when each of its modules loads
 *   (`const callBridge = getCallBridge()` at module top), and throws if it is missing. So the
 *   bridge a page's `invoke`/`view.getContext` talk to is fixed by whatever `__bridge` is at
 *   the moment @forge/bridge is required.
 * - @forge/react's reconciler looks up `self.__bridge.callBridge` at EVERY commit (to send
 *   'reconcile' with the tree, and 'onError'). `self` is a browser global Node lacks; without
 *   it the first commit throws a ReferenceError.
 *
 * So each page session gets its own callBridge bound while its modules load, and afterwards
 * `__bridge` holds a dispatcher that routes the reconciler's calls to the session owning the
 * committed tree. That keeps several pages alive in one process apart.
 */

export type CallBridge = (cmd: string, payload?: unknown) => Promise<unknown>;

export interface BridgeSession {
  callBridge: CallBridge;
  /** Whether this session's page commits the given ForgeDoc root (the reconciler's container). */
  ownsRoot(root: unknown): boolean;
}

interface Saved {
  self: unknown;
  bridge: unknown;
}

type Globals = { self?: unknown; __bridge?: unknown };
// Not `typeof globalThis &`: with the DOM lib, `self` is typed as a Window there.
const globals = globalThis as unknown as Globals;

/** Live sessions, oldest first. */
const sessions: BridgeSession[] = [];
let saved: Saved | undefined;

function rootOf(cmd: string, payload: unknown): unknown {
  if (cmd !== 'reconcile' || typeof payload !== 'object' || payload === null) return undefined;
  return (payload as { forgeDoc?: unknown }).forgeDoc;
}

/**
 * Calls that reach the dispatcher come from a reconciler after its page loaded. A tree is
 * owned by the session that saw its first commit; anything else (an 'onError', a page that
 * rendered only after an await) goes to the newest session.
 */
const dispatcher = {
  callBridge(cmd: string, payload?: unknown): Promise<unknown> {
    const root = rootOf(cmd, payload);
    const owner = sessions.find((session) => root !== undefined && session.ownsRoot(root)) ?? sessions.at(-1);
    // The reconciler drops the promise it gets back, so with no session there is nobody to tell.
    return owner ? owner.callBridge(cmd, payload) : Promise.resolve(undefined);
  },
};

function define(name: keyof Globals, value: unknown): void {
  if (value === undefined) delete globals[name];
  else globals[name] = value;
}

/**
 * Installs the globals while the first session is alive and puts back what was there when
 * the last one ends, so the rest of a test file sees the environment it started with.
 * (No act() environment is needed: @forge/react's host config does not set
 * `warnsIfNotActing`, so React never warns about updates made outside act().)
 */
export function attach(session: BridgeSession): void {
  if (sessions.length === 0) {
    saved = { self: globals.self, bridge: globals.__bridge };
    globals.self ??= globalThis;
  }
  sessions.push(session);
  globals.__bridge = dispatcher;
}

export function detach(session: BridgeSession): void {
  const index = sessions.indexOf(session);
  if (index >= 0) sessions.splice(index, 1);
  if (sessions.length > 0 || saved === undefined) return;
  define('self', saved.self);
  define('__bridge', saved.bridge);
  saved = undefined;
}

/** Runs `load` with `__bridge` pointing at the session, so the @forge/bridge it loads is bound to it. */
export function withSessionBridge<T>(session: BridgeSession, load: () => T): T {
  globals.__bridge = { callBridge: session.callBridge };
  try {
    return load();
  } finally {
    globals.__bridge = dispatcher;
  }
}

/** Module paths (plain Node) loaded by earlier sessions: their instances are bound to those sessions. */
const sessionModules = new Set<string>();

/** @forge/react and @forge/bridge hold per-page state (the reconciler, the captured callBridge). */
function isForgeUiModule(path: string): boolean {
  return /[\\/]node_modules[\\/]@forge[\\/](react|bridge)[\\/]/.test(path);
}

/**
 * Loads a page with its own copies of the modules it requires, so every render gets a fresh
 * reconciler and a @forge/bridge bound to its session. Under jest the module registry is
 * jest's (require.cache is not it), so jest.isolateModules does this; under plain Node
 * (tsx) the same is done by evicting from require.cache what earlier sessions loaded.
 */
export function loadIsolated<T>(load: () => T): T {
  if (typeof jest !== 'undefined' && typeof jest.isolateModules === 'function') {
    let loaded: { value: T } | undefined;
    jest.isolateModules(() => {
      loaded = { value: load() };
    });
    if (!loaded) throw new Error('jest.isolateModules did not run the page loader');
    return loaded.value;
  }
  for (const path of Object.keys(require.cache)) {
    if (sessionModules.has(path) || isForgeUiModule(path)) delete require.cache[path];
  }
  const before = new Set(Object.keys(require.cache));
  try {
    return load();
  } finally {
    for (const path of Object.keys(require.cache)) if (!before.has(path)) sessionModules.add(path);
  }
}
