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
  | 'CONFLICT'
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

/**
 * A target that calls origins this installation may not reach yet: Forge would refuse every request to
 * them. A workspace admin approves them on the settings page (customer-managed egress), so the message
 * sends a repository admin there, never to manifest.yml, which only whoever deployed the app can edit.
 */
export class EgressNotAllowedError extends RelayError {
  /** As the page asks Forge to allow them: `https://dokploy.example.com`, port included when there is one. */
  readonly origins: readonly string[];
  constructor(origins: readonly string[]) {
    const hosts = origins.map((origin) => (URL.canParse(origin) ? new URL(origin).host : origin));
    super(
      'EGRESS_NOT_ALLOWED',
      `Deploy Relay may not call ${hosts.join(', ')} yet: a workspace admin must approve ${hosts.length === 1 ? 'it' : 'them'}. ` +
        'Open this target in the repository’s settings (Deploy Relay) as a workspace admin and save it: the page asks Bitbucket for the approval.',
    );
    this.origins = origins;
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
