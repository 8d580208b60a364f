/**
 * What crosses between the app's frame and the host page, as in the product: a UI Kit app runs in a
 * hidden frame and sends each committed ForgeDoc to the product, which paints it with Atlaskit
 * components. Functions cannot cross `postMessage`, so each handler prop travels as a reference to
 * the id @forge/react's reconciler gave it (`__id__`), and the host calls it back by that id with
 * arguments serialised the way the product serialises them.
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

/** Frame → host. */
export type FrameMessage =
  | { kind: 'reconcile'; forgeDoc: WireNode }
  /** The page threw: a render error (the reconciler's 'onError'), or a bridge call nobody models. */
  | { kind: 'error'; message: string }
  /** A bridge call the product answers itself, in its own UI (the egress approval). */
  | { kind: 'ask'; id: number; cmd: string; payload: unknown };

/** Host → frame. */
export type HostMessage = { kind: 'call'; handler: string; args: unknown[] } | { kind: 'answer'; id: number; approved: boolean };

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
