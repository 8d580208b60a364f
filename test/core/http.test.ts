import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, HttpFault, HttpRejected, vendorMessage } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { EgressNotAllowedError } from '../../src/core/errors';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('the HTTP choke point', () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_req, res) => res.end();
  const lines: string[] = [];
  const client = createHttpClient({ fetch, timeoutMs: 300, log: createLogger((line) => lines.push(line)), userAgent: 'DeployRelay/test' });

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it('returns a 2xx with its text, status and user agent sent', async () => {
    let agent: string | undefined;
    handler = (req, res) => {
      agent = req.headers['user-agent'];
      res.writeHead(202).end('queued');
    };
    const response = await client.send({ method: 'POST', url: `${base}/deploy`, body: '{}' });
    expect([response.status, response.text, agent]).toEqual([202, 'queued', 'DeployRelay/test']);
  });

  it('passes on a refusal the fetch makes in the app’s own terms (the platform’s egress refusal), not as a network fault', async () => {
    const refusal = new EgressNotAllowedError(['https://dokploy.example.com']);
    const refusing = createHttpClient({
      fetch: () => Promise.reject(refusal),
      timeoutMs: 300,
      log: createLogger(() => undefined),
      userAgent: 'DeployRelay/test',
    });
    expect(await refusing.send({ method: 'POST', url: 'https://dokploy.example.com/api' }).catch((e: unknown) => e)).toBe(refusal);
  });

  it('turns a 503 with Retry-After into a retryable fault that carries the delay', async () => {
    handler = (_req, res) => res.writeHead(503, { 'retry-after': '17' }).end('{"message":"maintenance"}');
    const error = await client.send({ method: 'POST', url: `${base}/x` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'server_error', status: 503, retryAfterSeconds: 17 });
    expect((error as Error).message).toContain('maintenance');
  });

  it('turns a 429 into a rate-limited fault', async () => {
    handler = (_req, res) => res.writeHead(429).end();
    await expect(client.send({ method: 'GET', url: `${base}/x` })).rejects.toMatchObject({ kind: 'rate_limited', retryAfterSeconds: null });
  });

  it('turns a 4xx into a refusal with the vendor message', async () => {
    handler = (_req, res) => res.writeHead(422, { 'content-type': 'application/json' }).end('{"message":"app_id is invalid"}');
    const error = await client.send({ method: 'POST', url: `${base}/x` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toMatch(/answered 422: app_id is invalid$/);
  });

  it('does not follow redirects', async () => {
    let hits = 0;
    handler = (req, res) => {
      hits += 1;
      res.writeHead(302, { location: 'https://elsewhere.example.net/steal' }).end();
    };
    await expect(client.send({ method: 'POST', url: `${base}/x` })).rejects.toThrow(
      /redirect to elsewhere\.example\.net; redirects are not followed/,
    );
    expect(hits).toBe(1);
  });

  it('times out as a retryable fault', async () => {
    handler = () => undefined; // never answers
    await expect(client.send({ method: 'GET', url: `${base}/slow` })).rejects.toMatchObject({ kind: 'timeout', mayHaveArrived: true });
  });

  it('says a request whose connection dropped after it was sent may have arrived', async () => {
    handler = (req) => req.socket.destroy();
    await expect(client.send({ method: 'POST', url: `${base}/deploy`, body: '{}' })).rejects.toMatchObject({
      kind: 'network',
      mayHaveArrived: true,
    });
  });

  it('reports a refused connection as a retryable network fault', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(client.send({ method: 'GET', url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({
      kind: 'network',
      mayHaveArrived: false,
    });
    // A port fetch blocks outright (the Fetch standard's bad ports) is never connected to either.
    await expect(client.send({ method: 'GET', url: 'http://127.0.0.1:1/' })).rejects.toMatchObject({
      kind: 'network',
      mayHaveArrived: false,
    });
  });

  it.each([
    ['https://user:pass@deploy.example.com/x', /credentials/],
    ['http://deploy.example.com/x', /Only https URLs are allowed/],
    ['ftp://deploy.example.com/x', /Only https URLs are allowed/],
    ['not a url', /is not a valid URL/],
  ])('refuses %s before sending anything', async (url, message) => {
    await expect(client.send({ method: 'GET', url })).rejects.toThrow(message);
  });

  it('never logs a secret, even when the server echoes it', async () => {
    handler = (_req, res) => res.writeHead(400).end('{"message":"bad token tok_live_SECRET123"}');
    const error = await client
      .send({ method: 'POST', url: `${base}/hooks/tok_live_SECRET123`, secrets: ['tok_live_SECRET123'] })
      .catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('tok_live_SECRET123');
    expect(lines.join('\n')).not.toContain('tok_live_SECRET123');
    expect(lines.join('\n')).toContain('[redacted]');
  });
});

describe('vendorMessage', () => {
  it.each([
    ['{"message":"app_id is invalid"}', 'app_id is invalid'],
    ['{"error":"invalid_grant","error_description":"The API token is expired"}', 'The API token is expired'],
    ['{"error":{"message":"Deployment not found","code":"not_found"}}', 'Deployment not found'],
    ['{"errors":[{"message":"Not Authorized"}],"data":null}', 'Not Authorized'],
    ['{"id":"too_many_requests"}', '{"id":"too_many_requests"}'],
    ['null', 'null'],
    ['  Service Unavailable  ', 'Service Unavailable'],
  ])('reads %s as %j', (text, expected) => {
    expect(vendorMessage(text)).toBe(expected);
  });
});
