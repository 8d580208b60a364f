import { isNewer, orderOf } from '../../src/core/order';

describe('orderOf', () => {
  it('keeps the microseconds of a Forge timestamp', () => {
    expect(orderOf('2026-03-23T06:03:12.361017Z', 0)).toBe(Date.parse('2026-03-23T06:03:12.361Z') * 1000 + 17);
    expect(orderOf('2026-03-23T06:03:12.361018Z', 0) - orderOf('2026-03-23T06:03:12.361017Z', 0)).toBe(1);
  });

  it('reads offsets and shorter fractions', () => {
    expect(orderOf('2026-06-01T03:12:16.159643+00:00', 0)).toBe(Date.parse('2026-06-01T03:12:16.159Z') * 1000 + 643);
    expect(orderOf('2026-11-20T10:15:02.1Z', 0)).toBe(Date.parse('2026-11-20T10:15:02.100Z') * 1000);
    expect(orderOf('2026-11-20T10:15:02Z', 0)).toBe(Date.parse('2026-11-20T10:15:02Z') * 1000);
  });

  it('falls back to the given time when the event has no readable timestamp', () => {
    expect(orderOf(null, 1234)).toBe(1_234_000);
    expect(orderOf('yesterday', 1234)).toBe(1_234_000);
  });
});

describe('isNewer', () => {
  it('orders by time, then by job key, and never puts a push after itself', () => {
    expect(isNewer({ order: 2, jobKey: 'a' }, { order: 1, jobKey: 'b' })).toBe(true);
    expect(isNewer({ order: 1, jobKey: 'b' }, { order: 1, jobKey: 'a' })).toBe(true);
    expect(isNewer({ order: 1, jobKey: 'a' }, { order: 1, jobKey: 'b' })).toBe(false);
    expect(isNewer({ order: 1, jobKey: 'a' }, { order: 1, jobKey: 'a' })).toBe(false);
  });
});
