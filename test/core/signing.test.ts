import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { hubSignature256, standardWebhooksSignature } from '../../src/core/signing';

const body = JSON.stringify({ event: 'deploy', commit: { hash: 'a1'.repeat(20) } });

describe('hubSignature256', () => {
  it('is the hex HMAC-SHA256 of the raw body, prefixed sha256=', () => {
    const expected = createHmac('sha256', 'it-is-a-secret').update(body).digest('hex');
    expect(hubSignature256('it-is-a-secret', body)).toBe(`sha256=${expected}`);
  });

  it('refuses an empty secret as misuse', () => {
    expect(() => hubSignature256('', body)).toThrow(TypeError);
  });
});

describe('standardWebhooksSignature', () => {
  const timestamp = Math.floor(Date.now() / 1000);

  it('verifies with the standardwebhooks package for a whsec_ secret', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const headers = {
      'webhook-id': 'd-123',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, 'd-123', timestamp, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('verifies with the standardwebhooks package for a plain secret loaded raw', () => {
    const secret = 'plain-text-secret';
    const headers = {
      'webhook-id': 'd-9',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, 'd-9', timestamp, body),
    };
    expect(new Webhook(secret, { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('fails verification when the body changed', () => {
    const secret = 'plain-text-secret';
    const headers = {
      'webhook-id': 'd-9',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, 'd-9', timestamp, body),
    };
    expect(() => new Webhook(secret, { format: 'raw' }).verify(`${body} `, headers)).toThrow();
  });

  it('refuses a fractional timestamp and a missing id as misuse', () => {
    expect(() => standardWebhooksSignature('s3cret', 'id', 1.5, body)).toThrow(TypeError);
    expect(() => standardWebhooksSignature('s3cret', '', 1, body)).toThrow(TypeError);
  });
});
