/**
 * The app's frame: what the product loads in a hidden iframe for a UI Kit page. It installs the
 * bridge @forge/bridge and @forge/react look for (`self.__bridge.callBridge`), then loads the page
 * unchanged. Commits go to the host page to be painted; `invoke`, `getContext` and the egress calls
 * go to the local platform over HTTP; a handler the host calls back runs here, where the page lives.
 */
import { type BridgeAnswer, type BridgeRequest, type FrameMessage, HANDLER, type HostMessage, type WireNode } from './protocol';

type Handler = ((...args: unknown[]) => unknown) & { __id__?: string };

const accountId = new URLSearchParams(location.search).get('as') ?? '';
/** The live handlers of the latest commit, by the id the reconciler gave each. */
let handlers = new Map<string, Handler>();
const pendingAsks = new Map<number, (approved: boolean) => void>();
let asks = 0;

const toHost = (message: FrameMessage) => parent.postMessage(message, location.origin);

/** `within`: the objects being copied around this one, to tell a cycle from an object that is only shared (an option and the value). */
function wire(value: unknown, found: Map<string, Handler>, within: Set<object>): unknown {
  if (typeof value === 'function') {
    const handler = value as Handler;
    handler.__id__ ??= crypto.randomUUID();
    found.set(handler.__id__, handler);
    return { [HANDLER]: handler.__id__ };
  }
  if (typeof value !== 'object' || value === null) return value;
  // A React element in a prop cannot be painted by the product (only the tree's children can).
  if ('$$typeof' in value) return { unsupported: 'a React element passed as a prop' };
  if (within.has(value)) return { unsupported: 'a circular value' };
  within.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => wire(item, found, within));
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, wire(item, found, within)]));
  } finally {
    within.delete(value);
  }
}

function wireTree(node: WireNode, found: Map<string, Handler>): WireNode {
  return {
    type: node.type,
    key: node.key,
    props: wire(node.props, found, new Set()) as Record<string, unknown>,
    children: node.children.map((child) => wireTree(child, found)),
  };
}

async function toPlatform(request: BridgeRequest): Promise<unknown> {
  const response = await fetch('/bridge', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const answer = (await response.json()) as BridgeAnswer;
  if (!answer.ok) throw new Error(answer.message);
  return answer.value;
}

/** The product asks the person in its own dialog before it saves an egress approval. */
function askHost(cmd: string, payload: unknown): Promise<boolean> {
  const id = (asks += 1);
  return new Promise((resolve) => {
    pendingAsks.set(id, resolve);
    toHost({ kind: 'ask', id, cmd, payload });
  });
}

async function callBridge(cmd: string, payload?: unknown): Promise<unknown> {
  switch (cmd) {
    case 'reconcile': {
      const found = new Map<string, Handler>();
      const forgeDoc = wireTree((payload as { forgeDoc: WireNode }).forgeDoc, found);
      handlers = found;
      toHost({ kind: 'reconcile', forgeDoc });
      return undefined;
    }
    case 'onError': {
      const error = (payload as { error?: unknown })?.error;
      toHost({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    case '__permission__egressSet':
      return toPlatform({ cmd, payload, accountId, approved: await askHost(cmd, payload) });
    case 'invoke':
    case 'getContext':
    case '__permission__egressGet':
    case '__permission__egressDeleteDomain':
    case '__permission__egressDeleteGroup':
      return toPlatform({ cmd, payload, accountId });
    default: {
      const message = `the local host does not model the bridge call "${cmd}"`;
      toHost({ kind: 'error', message });
      throw new Error(message);
    }
  }
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  if (event.origin !== location.origin || event.source !== parent) return;
  const message = event.data;
  if (message.kind === 'answer') {
    pendingAsks.get(message.id)?.(message.approved);
    pendingAsks.delete(message.id);
    return;
  }
  const handler = handlers.get(message.handler);
  if (!handler) return; // A handler of a component the last commit removed, as after a click that closed a modal.
  Promise.resolve()
    .then(() => handler(...message.args))
    .catch((error: unknown) => toHost({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});

(self as unknown as { __bridge: unknown }).__bridge = { callBridge };
