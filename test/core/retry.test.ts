import { MAX_DELAY_SECONDS, parseRetryAfter, retryDelaySeconds } from '../../src/core/retry';

describe('retryDelaySeconds', () => {
  it('honours Retry-After, within the queue limits', () => {
    expect(retryDelaySeconds(0, 42)).toBe(42);
    expect(retryDelaySeconds(0, 0.2)).toBe(1);
    expect(retryDelaySeconds(0, 7200)).toBe(MAX_DELAY_SECONDS);
  });

  it('backs off exponentially with jitter between half and all of each step', () => {
    expect(retryDelaySeconds(0, null, () => 0)).toBe(5);
    expect(retryDelaySeconds(0, null, () => 1)).toBe(10);
    expect(retryDelaySeconds(3, null, () => 0)).toBe(40);
    expect(retryDelaySeconds(3, null, () => 1)).toBe(80);
    expect(retryDelaySeconds(20, null, () => 1)).toBe(MAX_DELAY_SECONDS);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
