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

/** An outbound request to a host that the app's manifest does not declare. */
export class EgressNotAllowedError extends RelayError {
  constructor(readonly host: string) {
    super(
      'EGRESS_NOT_ALLOWED',
      `The host ${host} is not declared for egress. Add it under permissions.external.fetch.backend in manifest.yml ` +
        `(npm run egress -- add ${host}) and redeploy the app.`,
    );
  }
}
