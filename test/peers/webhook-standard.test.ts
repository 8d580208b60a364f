// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { Webhook } from 'standardwebhooks';
import type { Deployment } from '../../src/core/deployment';
import { startReceiver, type ReceivedDelivery, type Receiver } from '../../local/receiver';
import { atTime } from '../../local/runtime';

/**
 * The signed webhook's Standard Webhooks signature, checked by the `standardwebhooks` package (the
 * reference implementation from standardwebhooks.com) on the exact bytes and headers the app sent
 * through the local platform: a `whsec_` secret as the spec defines it, any other secret as its UTF-8
 * bytes (`format: 'raw'`), as the README promises.
 */
const WHSEC = `whsec_${Buffer.from('standard-webhooks-contract-secret').toString('base64')}`;
const RAW = 'a-plain-shared-secret-of-some-length';

let receivers: Receiver[] = [];
let relay: RelayOnPeers;
let records: Deployment[] = [];

beforeAll(async () => {
  relay = startRelay({});
  // The receivers judge a signature's age by the platform's clock, which runs ahead of the real one.
  const whsec = await startReceiver({ secret: WHSEC, path: '/whsec', now: relay.platform.now });
  const raw = await startReceiver({ secret: RAW, path: '/raw', now: relay.platform.now });
  receivers = [whsec, raw];
  await relay.configure([
    { target: targetFor('webhook', 'hook-whsec', { url: whsec.url }), secrets: { signingSecret: WHSEC } },
    { target: targetFor('webhook', 'hook-raw', { url: raw.url }), secrets: { signingSecret: RAW } },
  ]);
  records = await relay.push();
});
afterAll(async () => {
  await relay?.close();
  for (const receiver of receivers) await receiver.close();
});

/** The package checks a signature's age against Date.now(): at the platform's time, as the receivers were. */
const atPlatformTime = <T>(verify: () => T): T => atTime(relay.platform.now, verify);

function delivered(index: number): ReceivedDelivery {
  const [delivery, ...more] = receivers[index]?.deliveries ?? [];
  if (!delivery || more.length > 0) throw new Error(`receiver ${index} got ${receivers[index]?.deliveries.length ?? 0} deliveries, not 1`);
  return delivery;
}

const headersOf = (delivery: ReceivedDelivery, changes: Record<string, string> = {}) => ({
  'webhook-id': String(delivery.headers['webhook-id']),
  'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
  'webhook-signature': String(delivery.headers['webhook-signature']),
  ...changes,
});

interface DeployBody {
  delivery_id: string;
  target: { id: string };
  commit: { hash: string };
}

describe('the signed webhook, verified by the standardwebhooks package', () => {
  it('verifies the signature made with a whsec_ secret, and gives back the deploy with one webhook-id per push and target', () => {
    const delivery = delivered(0);
    const payload = atPlatformTime(() => new Webhook(WHSEC).verify(delivery.body, headersOf(delivery))) as DeployBody;
    const record = records.find((r) => r.target.id === 'hook-whsec');
    expect(payload).toMatchObject({ delivery_id: record?.deliveryId, target: { id: 'hook-whsec' }, commit: { hash: record?.commit.hash } });
    expect(delivery.headers['webhook-id']).toBe(record?.jobKey);
  });

  it('verifies the signature made with any other secret, read as its UTF-8 bytes', () => {
    const delivery = delivered(1);
    expect(atPlatformTime(() => new Webhook(RAW, { format: 'raw' }).verify(delivery.body, headersOf(delivery)))).toMatchObject({
      target: { id: 'hook-raw' },
    });
  });

  it('refuses the delivery with one byte of the body changed, another secret, or another webhook-id', () =>
    atPlatformTime(() => {
      const delivery = delivered(0);
      const verifier = new Webhook(WHSEC);
      expect(() => verifier.verify(delivery.body.replace('"hook-whsec"', '"hook-whsex"'), headersOf(delivery))).toThrow(
        'No matching signature found',
      );
      expect(() => new Webhook(RAW, { format: 'raw' }).verify(delivery.body, headersOf(delivery))).toThrow('No matching signature found');
      expect(() => verifier.verify(delivery.body, headersOf(delivery, { 'webhook-id': 'd-another-delivery' }))).toThrow(
        'No matching signature found',
      );
    }));
});
