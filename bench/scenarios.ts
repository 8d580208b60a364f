/**
 * What the call and cost benchmarks deploy to: signed webhooks at the platform's receiver, and a
 * DigitalOcean App Platform API on 127.0.0.1 that a followed deploy reads until it is live.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Target } from '../src/core/targets';
import { makeTarget } from '../test/fixtures/targets';
import type { TestApp } from '../test/platform/app';
import { deployingEveryPush, hookTargets } from './pipeline';

/** What a scenario deploys to, and how many deploys its far end saw. */
export interface Scenario {
  routes?: Record<string, string>;
  targets(app: TestApp): Target[];
  secretsOf?: (target: Target) => Record<string, string>;
  deploys(app: TestApp): number;
}

/** `count` signed webhooks at the receiver; `coalesce: false` deploys every push (its jobs ask which older ones wait). */
export const webhooks = (count: number, { coalesce = true } = {}): Scenario => ({
  targets: (app) => hookTargets(app.receiver, count, ['main']).map((target) => (coalesce ? target : deployingEveryPush(target))),
  deploys: (app) => app.receiver.deliveries.length,
});

/** The phases DigitalOcean reports on a deployment's successive reads: live on the third. */
export const PHASES = ['BUILDING', 'DEPLOYING', 'ACTIVE'];

/** A DigitalOcean App Platform API on 127.0.0.1 (the paths and shapes the provider uses), reached through an egress route. */
export async function digitalOceanVendor(): Promise<{ scenario: Scenario; close(): Promise<void> }> {
  const reads = new Map<string, number>();
  let created = 0;
  const server = createServer((req, res) => {
    const [, , , , , deployment] = (req.url ?? '').split('/');
    let id = deployment ?? '';
    if (req.method === 'POST') id = `dep-${++created}`;
    const read = req.method === 'POST' ? 0 : (reads.get(id) ?? 0) + 1;
    reads.set(id, read);
    const phase = read === 0 ? 'PENDING_BUILD' : (PHASES[Math.min(read, PHASES.length) - 1] as string);
    req
      .resume()
      .on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ deployment: { id, phase } })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    scenario: {
      routes: { 'api.digitalocean.com': `http://127.0.0.1:${port}` },
      targets: () => [
        makeTarget({
          id: 'do-web',
          name: 'DO web',
          provider: 'digitalocean',
          settings: { appId: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf' },
          secretHints: { token: { last4: 'ench' } },
        }),
      ],
      secretsOf: () => ({ token: 'dop_v1_token_for_the_bench' }),
      deploys: () => created,
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
