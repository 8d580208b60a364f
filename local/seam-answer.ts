/**
 * The answer the storage and queue seams give the SDK. @forge/kvs and @forge/events read a fetch
 * Response's `status`, `ok`, `statusText`, `headers.get()` and its body once, as text or JSON, and
 * nothing else. A real `Response` wraps every body in a web stream and reads it back through one: a
 * tenth of a millisecond per call, several calls per push, which made the local platform the slowest
 * part of a deploy. This answer is a body already in hand, read once as a Response's is (a second
 * read throws the same TypeError); it has no other methods, so an SDK that starts calling one (`clone`,
 * `arrayBuffer`) fails in the tests.
 * Bitbucket's answers stay real Responses: they reach the app's own code, which may read any of it.
 */
export class SeamAnswer {
  readonly ok: boolean;
  readonly statusText: string;
  /** The body's size in bytes: its `content-length`, which the platform counts storage answers by. */
  private readonly bytes: number;
  private used = false;

  constructor(
    readonly status: number,
    private readonly body: string,
    /** Lower-case names. */
    private readonly headerInit: Record<string, string> = {},
    statusText = '',
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = statusText;
    this.bytes = Buffer.byteLength(body);
  }

  /**
   * What the SDK reads of the headers: `get` (it asks every answer for `forge-proxy-error`). Any other
   * use of them is a TypeError, so an SDK that starts relying on more shows up in the tests.
   */
  get headers(): Headers {
    const get = (name: string): string | null => {
      const lower = name.toLowerCase();
      return lower === 'content-length' ? String(this.bytes) : (this.headerInit[lower] ?? null);
    };
    return { get } as Headers;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async text(): Promise<string> {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** An answer with a JSON body. */
export function jsonAnswer(status: number, body: unknown, statusText?: string): Response {
  return textAnswer(status, JSON.stringify(body), statusText);
}

/** An answer whose body is JSON text already. */
export function textAnswer(status: number, json: string, statusText?: string): Response {
  return asResponse(new SeamAnswer(status, json, { 'content-type': 'application/json' }, statusText));
}

/** An answer with no body (204). */
export function emptyAnswer(): Response {
  return asResponse(new SeamAnswer(204, ''));
}

/** The seams are typed as fetch answers; what the SDK reads of one, a SeamAnswer has. */
const asResponse = (answer: SeamAnswer): Response => answer as unknown as Response;
