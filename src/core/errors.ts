import { EGRESS_MANIFEST_KEY } from './egress';

/**
 * Backend errors, one small class per surface (architecture.md, habit 6). Each carries a stable `code`
 * so resolvers can hand the page a shared code instead of a stack trace.
 */
export type ErrorCode =
  | 'INVALID_EVENT'
  | 'INVALID_INPUT'
  | 'CORRUPT_RECORD'
  | 'UNKNOWN_PROVIDER'
  | 'EGRESS_NOT_ALLOWED'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PLATFORM_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INTERNAL';

export class RelayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input from outside (an event, a form, a file) that does not have the shape we need. */
export class InvalidInputError extends RelayError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    code: ErrorCode = 'INVALID_INPUT',
  ) {
    super(code, message);
  }
}

/** A stored value that no longer parses: reported with its key, never trusted. */
export class CorruptRecordError extends RelayError {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super('CORRUPT_RECORD', `Stored record ${key} is corrupt: ${detail}`);
  }
}

/** A target that calls hosts the installation may not reach: Forge would refuse every request to them. */
export class EgressNotAllowedError extends RelayError {
  constructor(readonly hosts: readonly string[]) {
    super(
      'EGRESS_NOT_ALLOWED',
      `${hosts.join(', ')} ${hosts.length === 1 ? 'is' : 'are'} not in manifest.yml's ${EGRESS_MANIFEST_KEY}; ` +
        `run "npm run egress -- add ${hosts.join(' ')}", then forge deploy.`,
    );
  }
}

/**
 * Forge's own services failed (storage, the queue, the product proxy answered 5xx or 429): the work is
 * retried through the queue, never given up on. src/forge turns the SDK's errors into this one.
 */
export class PlatformFault extends RelayError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null = null,
    /** Refused for the rate: retried after the rate's window, not at once. */
    readonly rateLimited = false,
  ) {
    super('PLATFORM_UNAVAILABLE', message);
  }
}

/** A conditional write lost: what it was decided on has changed since it was read. Read again and decide again. */
export class StaleStateError extends RelayError {
  constructor(what: string) {
    super('INTERNAL', `${what} changed since it was read`);
  }
}
