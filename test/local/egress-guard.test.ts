/**
 * The platform's egress guard sends a plain request (a URL string, a text body) without building a
 * Request. It must still treat every request as fetch does: these cases go through the guard and
 * through Node's own fetch, and must end the same way, as the same request at the server or as the
 * same error.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEgressPolicy, type EgressRecord } from '../../local/egress';

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: IncomingHttpHeaders;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const records: EgressRecord[] = [];
const policy = createEgressPolicy({
  hosts: [],
  configured: () => [],
  routes: {},
  allowLoopback: true,
  record: (entry) => records.push(entry),
});

/** What one way of sending made of the request: what the server saw, or the error it threw. */
async function outcome(send: () => Promise<Response>): Promise<{ status: number; seen: Seen[] } | { error: string; message: string }> {
  const before = seen.length;
  try {
    const response = await send();
    await response.text();
    return { status: response.status, seen: seen.slice(before) };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
}

const CASES: [string, (base: string) => [string | URL, RequestInit | undefined]][] = [
  [
    'a POST with a text body',
    (b) => [`${b}/deploy?x=1`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }],
  ],
  ['a lower-case standard method, which fetch upper-cases', (b) => [`${b}/deploy`, { method: 'delete' }]],
  ['a lower-case method fetch sends as written', (b) => [`${b}/deploy`, { method: 'patch', body: 'p' }]],
  ['a forbidden method', (b) => [`${b}/deploy`, { method: 'TRACE' }]],
  ['a forbidden method in lower case', (b) => [`${b}/deploy`, { method: 'connect' }]],
  ['a method that is no HTTP token', (b) => [`${b}/deploy`, { method: 'PO ST' }]],
  ['a GET with a body', (b) => [`${b}/deploy`, { method: 'get', body: 'x' }]],
  ['a URL with credentials', (b) => [b.replace('http://', 'http://user:secret@') + '/deploy', undefined]],
  ['a URL that does not parse', () => ['http://exa mple.com:99999/', undefined]],
  ['a URL object', (b) => [new URL('/deploy?y=2', b), { method: 'put', body: 'u' }]],
  ['an unknown redirect mode', (b) => [`${b}/deploy`, { redirect: 'sideways' as RequestRedirect }]],
  ['a signal that is not an AbortSignal', (b) => [`${b}/deploy`, { signal: {} as AbortSignal }]],
  ['an option beyond the plain ones', (b) => [`${b}/deploy`, { method: 'POST', body: 'm', mode: 'navigate' }]],
  ['a method whose letters toUpperCase turns into ASCII', (b) => [`${b}/deploy`, { method: 'poſt', body: 'p' }]],
  ['a method that is not a string', (b) => [`${b}/deploy`, { method: 123 as unknown as string }]],
  ['a null method', (b) => [`${b}/deploy`, { method: null as unknown as string }]],
  [
    'options it inherits',
    (b) => [`${b}/deploy`, Object.assign(Object.create({ mode: 'navigate' }) as RequestInit, { method: 'POST', body: 'i' })],
  ],
  [
    'a text body without a content type, and headers of its own',
    (b) => [`${b}/deploy`, { method: 'POST', body: 't', headers: { authorization: 'Bearer x', 'X-Relay': 'a' } }],
  ],
  ['a header value fetch refuses', (b) => [`${b}/deploy`, { headers: { 'x-bad': 'a\nb' } }]],
];

describe('the egress guard, against fetch itself', () => {
  it.each(CASES)('%s ends as it does through fetch', async (_name, make) => {
    const [input, init] = make(base);
    const direct = await outcome(() => fetch(input, init));
    const guarded = await outcome(() => policy.fetch(input, init, fetch));
    expect(guarded).toEqual(direct);
  });

  it('records what it sent as it left: the method as written (Node’s server refuses a lower-case one), and the content type fetch adds to a text body', async () => {
    records.length = 0;
    await (await policy.fetch(`${base}/deploy`, { method: 'patch', body: 'p' }, fetch)).text();
    await (await policy.fetch(`${base}/deploy`, { method: 'post', body: 'q', headers: { 'x-relay': 'a' } }, fetch)).text();
    const textBody = { 'content-type': 'text/plain;charset=UTF-8' };
    expect(records).toEqual([
      expect.objectContaining({ method: 'patch', url: `${base}/deploy`, body: 'p', status: 400, headers: textBody }),
      expect.objectContaining({ method: 'POST', url: `${base}/deploy`, body: 'q', status: 200, headers: { ...textBody, 'x-relay': 'a' } }),
    ]);
    expect(seen.at(-1)?.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });
});
