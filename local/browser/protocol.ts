/**
 * What crosses between the app's frame and the host page, as in the product: a UI Kit app runs in a
 * hidden, sandboxed frame of its own origin and sends each committed ForgeDoc to the product, which
 * paints it with Atlaskit components; every other bridge call (`invoke`, `getContext`, egress) is
 * carried by the product too, which knows who is signed in. Functions cannot cross `postMessage`,
 * so each handler prop travels as a reference to the id @forge/react's reconciler gave it
 * (`__id__`), and the host calls it back by that id with arguments serialised the way the product
 * serialises them.
 */

export interface WireNode {
  type: string;
  key?: string;
  props: Record<string, unknown>;
  children: WireNode[];
}

/** The stand-in for a function prop: `{ [HANDLER]: id }`. */
export const HANDLER = '__forgeHandler';
export type HandlerRef = { [HANDLER]: string };

export function isHandlerRef(value: unknown): value is HandlerRef {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[HANDLER] === 'string';
}

/** A value the product could not carry, in place of what the page passed (the host paints an error box). */
export type Unsupported = { unsupported: string };

export function isUnsupported(value: unknown): value is Unsupported {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).unsupported === 'string';
}

/** Frame → host. */
export type FrameMessage =
  | { kind: 'reconcile'; forgeDoc: WireNode }
  /** The page threw (the reconciler's 'onError'), or the host called a handler the page no longer has. */
  | { kind: 'error'; message: string }
  /** A bridge call for the product to carry: the host answers with `answer` and the same id. */
  | { kind: 'bridge'; id: number; cmd: string; payload: unknown };

/** Host → frame. */
export type HostMessage = { kind: 'call'; handler: string; args: unknown[] } | ({ kind: 'answer'; id: number } & BridgeAnswer);

/** What the server's /bridge endpoint takes and gives. */
export interface BridgeRequest {
  cmd: string;
  payload: unknown;
  /** Whose page this is: the developer bar's "view as". */
  accountId: string;
  /** For `__permission__egressSet`: what the person answered in the product's approval dialog. */
  approved?: boolean;
}
export type BridgeAnswer = { ok: true; value: unknown } | { ok: false; message: string };

/** The bridge calls the local platform carries for a page, as @forge/bridge names them; any other is refused. */
export const BRIDGE_CALLS: ReadonlySet<string> = new Set([
  'invoke',
  'getContext',
  '__permission__egressGet',
  '__permission__egressSet',
  '__permission__egressDeleteDomain',
  '__permission__egressDeleteGroup',
]);
