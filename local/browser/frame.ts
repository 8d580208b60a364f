/**
 * The app's frame: what the product loads in a hidden iframe for a UI Kit page. It installs the
 * bridge @forge/bridge and @forge/react look for (`self.__bridge.callBridge`), then loads the page
 * unchanged. The frame is sandboxed (an origin of its own) and may not fetch anything itself, so
 * every bridge call goes to the host page by `postMessage`, as to the product; a handler the host
 * calls back runs here, where the page lives.
 */
import { type BridgeAnswer, type FrameMessage, HANDLER, type HostMessage, type Unsupported, type WireNode } from './protocol';

type Handler = ((...args: unknown[]) => unknown) & { __id__?: string };

/**
 * Handlers of the last few commits, by the id the reconciler gave each: a click the person made on
 * one commit may arrive after the next (an auto-refresh re-rendered meanwhile), and then runs the
 * handler they clicked, as React runs the handler of the render that was on screen.
 */
const commits: Map<string, Handler>[] = [];
const KEPT_COMMITS = 20;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let calls = 0;

// A sandboxed frame's origin is opaque: the host is known by being the parent, and checks the source itself.
const toHost = (message: FrameMessage) => parent.postMessage(message, '*');

const unsupported = (what: string): Unsupported => ({ unsupported: what });

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * A prop as the product receives it. The reconciler gives an id only to a function that is a prop
 * itself, so a function inside an object or array cannot be called back; nor can a React element be
 * painted, nor a Date, Map or class instance cross unchanged. Each becomes a marker the host paints
 * as an error box. `within`: the objects around this one, to tell a cycle from a shared object.
 */
function wire(value: unknown, found: Map<string, Handler>, within: Set<object>, top: boolean): unknown {
  if (typeof value === 'function') {
    if (!top) return unsupported('a function inside an object or array (only a prop itself can be a handler)');
    const handler = value as Handler;
    handler.__id__ ??= crypto.randomUUID();
    found.set(handler.__id__, handler);
    return { [HANDLER]: handler.__id__ };
  }
  if (typeof value !== 'object' || value === null) return value;
  if ('$$typeof' in value) return unsupported('a React element passed as a prop (only the tree’s children are painted)');
  if (!Array.isArray(value) && !isPlain(value)) return unsupported(`a ${value.constructor?.name ?? 'non-plain'} object`);
  if (within.has(value)) return unsupported('a circular value');
  within.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => wire(item, found, within, false));
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, wire(item, found, within, false)]));
  } finally {
    within.delete(value);
  }
}

function wireTree(node: WireNode, found: Map<string, Handler>): WireNode {
  const props = Object.fromEntries(Object.entries(node.props).map(([name, value]) => [name, wire(value, found, new Set(), true)]));
  return { type: node.type, key: node.key, props, children: node.children.map((child) => wireTree(child, found)) };
}

function handlerFor(id: string): Handler | undefined {
  for (let at = commits.length - 1; at >= 0; at -= 1) {
    const handler = commits[at]!.get(id);
    if (handler) return handler;
  }
  return undefined;
}

function callBridge(cmd: string, payload?: unknown): Promise<unknown> {
  if (cmd === 'reconcile') {
    const found = new Map<string, Handler>();
    const forgeDoc = wireTree((payload as { forgeDoc: WireNode }).forgeDoc, found);
    commits.push(found);
    if (commits.length > KEPT_COMMITS) commits.shift();
    toHost({ kind: 'reconcile', forgeDoc });
    return Promise.resolve(undefined);
  }
  if (cmd === 'onError') {
    const error = (payload as { error?: unknown })?.error;
    toHost({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    return Promise.resolve(undefined);
  }
  const id = (calls += 1);
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    toHost({ kind: 'bridge', id, cmd, payload });
  });
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  if (event.source !== parent) return;
  const message = event.data;
  if (message.kind === 'answer') {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    const answer: BridgeAnswer = message;
    if (answer.ok) waiting?.resolve(answer.value);
    else waiting?.reject(new Error(answer.message));
    return;
  }
  const handler = handlerFor(message.handler);
  if (!handler) {
    toHost({
      kind: 'error',
      message: `a handler of a commit more than ${KEPT_COMMITS} renders old was called; the person's action was lost`,
    });
    return;
  }
  Promise.resolve()
    .then(() => handler(...message.args))
    .catch((error: unknown) => toHost({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});

(self as unknown as { __bridge: unknown }).__bridge = { callBridge };
