import fc from 'fast-check';
import {
  activeFreeze,
  type Freeze,
  freezeSchema,
  localTimeOf,
  NO_FREEZE,
  onceLines,
  parseOnceLines,
  parseWeeklyLines,
  WEEKDAYS,
  weeklyLines,
} from '../../src/core/freeze';

const BERLIN = 'Europe/Berlin';
const weekend = (timeZone: string, overrides: Partial<Freeze> = {}): Freeze => ({
  ...NO_FREEZE,
  timeZone,
  weekly: [{ from: 'Fri 16:00', to: 'Mon 08:00' }],
  ...overrides,
});
const utc = (iso: string) => Date.parse(iso);

describe('a weekly freeze in a time zone', () => {
  it('starts and ends at the local times, in the zone’s winter offset (UTC+1)', () => {
    const freeze = weekend(BERLIN);
    // Friday 4 December 2026, 15:59 and 16:00 in Berlin.
    expect(activeFreeze(freeze, utc('2026-12-04T14:59:00Z'))).toBeNull();
    expect(activeFreeze(freeze, utc('2026-12-04T15:00:00Z'))).toEqual({
      endsAt: utc('2026-12-07T07:00:00Z'),
      why: 'weekly freeze Fri 16:00 – Mon 08:00 (Europe/Berlin)',
    });
    expect(activeFreeze(freeze, utc('2026-12-07T06:59:00Z'))?.endsAt).toBe(utc('2026-12-07T07:00:00Z'));
    expect(activeFreeze(freeze, utc('2026-12-07T07:00:00Z'))).toBeNull();
  });

  it('ends at 08:00 local over the weekend the clocks go back (25 October 2026: 65 hours, not 64)', () => {
    const freeze = weekend(BERLIN);
    // Friday 16:00 CEST is 14:00 UTC; Monday 08:00 CET is 07:00 UTC.
    const start = utc('2026-10-23T14:00:00Z');
    expect(activeFreeze(freeze, start - 60_000)).toBeNull();
    const active = activeFreeze(freeze, start);
    expect(active?.endsAt).toBe(utc('2026-10-26T07:00:00Z'));
    expect(((active?.endsAt ?? 0) - start) / 3_600_000).toBe(65);
    // Sunday, after the change: still frozen, still until Monday 08:00 CET.
    expect(activeFreeze(freeze, utc('2026-10-25T12:00:00Z'))?.endsAt).toBe(utc('2026-10-26T07:00:00Z'));
    expect(activeFreeze(freeze, utc('2026-10-26T07:00:00Z'))).toBeNull();
    expect(localTimeOf(utc('2026-10-26T07:00:00Z'), BERLIN)).toBe('Mon 26 Oct, 08:00 Europe/Berlin');
  });

  it('ends at 08:00 local over the weekend the clocks go forward (29 March 2026: 63 hours)', () => {
    const freeze = weekend(BERLIN);
    // Friday 16:00 CET is 15:00 UTC; Monday 08:00 CEST is 06:00 UTC.
    const start = utc('2026-03-27T15:00:00Z');
    const active = activeFreeze(freeze, start);
    expect(active?.endsAt).toBe(utc('2026-03-30T06:00:00Z'));
    expect(((active?.endsAt ?? 0) - start) / 3_600_000).toBe(63);
    expect(activeFreeze(freeze, utc('2026-03-30T05:59:00Z'))).not.toBeNull();
    expect(activeFreeze(freeze, utc('2026-03-30T06:00:00Z'))).toBeNull();
  });

  it('crosses the end of a month and of a year', () => {
    const freeze = weekend('America/New_York', { weekly: [{ from: 'Thu 18:00', to: 'Mon 09:00' }] });
    // Thursday 31 December 2026, 20:00 in New York (UTC-5).
    expect(activeFreeze(freeze, utc('2027-01-01T01:00:00Z'))?.endsAt).toBe(utc('2027-01-04T14:00:00Z'));
  });

  it('reads a window inside one day, and one that wraps past Sunday midnight', () => {
    const lunch = weekend('UTC', { weekly: [{ from: 'Wed 12:00', to: 'Wed 13:00' }] });
    expect(activeFreeze(lunch, utc('2026-12-02T12:30:00Z'))?.endsAt).toBe(utc('2026-12-02T13:00:00Z'));
    expect(activeFreeze(lunch, utc('2026-12-02T13:00:00Z'))).toBeNull();
    expect(activeFreeze(lunch, utc('2026-12-03T12:30:00Z'))).toBeNull();
    const night = weekend('UTC', { weekly: [{ from: 'Sun 22:00', to: 'Mon 02:00' }] });
    expect(activeFreeze(night, utc('2026-12-06T23:00:00Z'))?.endsAt).toBe(utc('2026-12-07T02:00:00Z'));
    expect(activeFreeze(night, utc('2026-12-07T01:00:00Z'))?.endsAt).toBe(utc('2026-12-07T02:00:00Z'));
    expect(activeFreeze(night, utc('2026-12-07T02:00:00Z'))).toBeNull();
  });

  it('for any instant and window in a zone without daylight saving, is in force exactly from its start to its end', () => {
    const time = fc.tuple(fc.constantFrom(...WEEKDAYS), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }));
    const text = ([day, hours, minutes]: [string, number, number]) =>
      `${day} ${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
    fc.assert(
      fc.property(
        time,
        time,
        fc.integer({ min: utc('2026-01-01T00:00:00Z'), max: utc('2027-12-31T00:00:00Z') }),
        fc.constantFrom('UTC', 'Asia/Kolkata', 'Asia/Tokyo'),
        (from, to, now, timeZone) => {
          fc.pre(text(from) !== text(to));
          const freeze = weekend(timeZone, { weekly: [{ from: text(from), to: text(to) }] });
          const minute = Math.floor(now / 60_000) * 60_000;
          const active = activeFreeze(freeze, minute);
          if (active === null) return;
          expect(active.endsAt).toBeGreaterThan(minute);
          expect(active.endsAt - minute).toBeLessThanOrEqual(7 * 24 * 3_600_000);
          expect(activeFreeze(freeze, active.endsAt - 60_000)).not.toBeNull();
          expect(activeFreeze(freeze, active.endsAt)).toBeNull();
        },
      ),
    );
  });
});

describe('one-off freezes', () => {
  const christmas = weekend(BERLIN, { weekly: [], once: [{ from: '2026-12-24T00:00', to: '2026-12-27T08:00', reason: 'Christmas' }] });

  it('hold from their local start to their local end, with their reason', () => {
    expect(activeFreeze(christmas, utc('2026-12-23T22:59:00Z'))).toBeNull();
    expect(activeFreeze(christmas, utc('2026-12-23T23:00:00Z'))).toEqual({
      endsAt: utc('2026-12-27T07:00:00Z'),
      why: 'Christmas (2026-12-24 00:00 – 2026-12-27 08:00, Europe/Berlin)',
    });
    expect(activeFreeze(christmas, utc('2026-12-27T07:00:00Z'))).toBeNull();
  });

  it('overlapping a weekly window, the freeze lasts until the later end', () => {
    const both = { ...christmas, weekly: [{ from: 'Fri 16:00', to: 'Mon 08:00' }] };
    // Friday 25 December: the weekend ends Monday 28th, Christmas on Sunday 27th.
    expect(activeFreeze(both, utc('2026-12-25T18:00:00Z'))?.endsAt).toBe(utc('2026-12-28T07:00:00Z'));
  });
});

describe('the form’s lines', () => {
  it('read weekly windows one per line, blank lines ignored, and write them back the same way', () => {
    const parsed = parseWeeklyLines('Fri 16:00 - Mon 08:00\n\n  Wed 12:00 – Wed 13:00  \n');
    expect(parsed).toEqual({
      ok: true,
      windows: [
        { from: 'Fri 16:00', to: 'Mon 08:00' },
        { from: 'Wed 12:00', to: 'Wed 13:00' },
      ],
    });
    expect(weeklyLines(parsed.ok ? parsed.windows : [])).toBe('Fri 16:00 - Mon 08:00\nWed 12:00 - Wed 13:00');
  });

  it('name the first line that does not read', () => {
    expect(parseWeeklyLines('Fri 16:00 - Mon 08:00\nFriday 4pm - Monday')).toEqual({
      ok: false,
      error: 'line 2: write a window as Fri 16:00 - Mon 08:00',
    });
    expect(parseWeeklyLines('Fri 25:00 - Mon 08:00').ok).toBe(false);
    expect(parseWeeklyLines('Fri 16:00 - Fri 16:00').ok).toBe(false);
  });

  it('read one-off windows with their reason, and refuse one that ends before it starts or has no reason', () => {
    const parsed = parseOnceLines('2026-12-24 00:00 - 2026-12-27 08:00 Christmas and the days after');
    expect(parsed).toEqual({
      ok: true,
      windows: [{ from: '2026-12-24T00:00', to: '2026-12-27T08:00', reason: 'Christmas and the days after' }],
    });
    expect(onceLines(parsed.ok ? parsed.windows : [])).toBe('2026-12-24 00:00 - 2026-12-27 08:00 Christmas and the days after');
    expect(parseOnceLines('2026-12-27 08:00 - 2026-12-24 00:00 Backwards')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^line 1: /),
    });
    expect(parseOnceLines('2026-12-24 00:00 - 2026-12-27 08:00').ok).toBe(false);
  });

  it('a time zone is a name the zone database knows', () => {
    expect(freezeSchema.safeParse({ ...NO_FREEZE, timeZone: 'Europe/Berlin' }).success).toBe(true);
    const refused = freezeSchema.safeParse({ ...NO_FREEZE, timeZone: 'Berlin time' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('is not a time zone (use a name such as Europe/Berlin)');
    expect(freezeSchema.safeParse({ ...NO_FREEZE, timeZone: '' }).success).toBe(false);
  });
});
