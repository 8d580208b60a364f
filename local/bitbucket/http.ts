/** Response helpers: every answer, success or failure, is JSON in Bitbucket's shapes. */

export const API_ROOT = 'https://api.bitbucket.org';
export const API_BASE = `${API_ROOT}/2.0`;
export const HTML_BASE = 'https://bitbucket.org';

/** Thrown by handlers; the router turns it into Bitbucket's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** The spec's `error` schema: `{type: 'error', error: {message, detail?}}`. */
export function errorBody(message: string, detail?: string): { type: 'error'; error: { message: string; detail?: string } } {
  return { type: 'error', error: detail === undefined ? { message } : { message, detail } };
}

export function errorResponse(status: number, message: string, detail?: string, headers?: Record<string, string>): Response {
  return jsonResponse(status, errorBody(message, detail), headers);
}
