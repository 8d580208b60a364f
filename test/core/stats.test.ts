import type { DeploymentState } from '../../src/core/deployment';
import { DAY_MS, dailyStats, median, outcomeOf, windowStart } from '../../src/core/stats';

const NOW = Date.parse('2026-03-14T00:30:00.000Z');
const at = (iso: string) => Date.parse(iso);
const deployment = (state: DeploymentState, createdAt: number, tookMs: number | null = null) => ({
  state,
  createdAt,
  finishedAt: tookMs === null ? null : createdAt + tookMs,
});

describe('dailyStats', () => {
  it('gives one entry per UTC day of the window, oldest first, today last, empty days as zeros with no median', () => {
    const days = dailyStats([], NOW);
    expect(days).toHaveLength(30);
    expect(days[0]?.day).toBe('2026-02-13');
    expect(days.at(-1)?.day).toBe('2026-03-14');
    expect(
      days.every((d) => d.succeeded === 0 && d.failed === 0 && d.other === 0 && d.medianDurationMs === null && d.durations === 0),
    ).toBe(true);
    expect(dailyStats([], NOW, 7).map((d) => d.day)).toEqual([
      '2026-03-08',
      '2026-03-09',
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
      '2026-03-13',
      '2026-03-14',
    ]);
  });

  it('counts a deployment on the UTC day it was created, across midnight and whatever the local zone', () => {
    const days = dailyStats(
      [
        deployment('succeeded', at('2026-03-13T23:59:59.999Z')),
        deployment('failed', at('2026-03-14T00:00:00.000Z')),
        deployment('failed', at('2026-03-14T00:29:00.000Z')),
      ],
      NOW,
    );
    expect(days.at(-2)).toMatchObject({ day: '2026-03-13', succeeded: 1, failed: 0 });
    expect(days.at(-1)).toMatchObject({ day: '2026-03-14', succeeded: 0, failed: 2 });
  });

  it('counts succeeded, requested and failed each alone, and every other state as other', () => {
    const today = at('2026-03-14T00:10:00.000Z');
    const states: DeploymentState[] = [
      'succeeded',
      'requested',
      'failed',
      'skipped',
      'canceled',
      'superseded',
      'in_progress',
      'sending',
      'retrying',
      'unknown',
    ];
    const [day] = dailyStats(
      states.map((state) => deployment(state, today)),
      NOW,
      1,
    );
    expect(day).toMatchObject({ succeeded: 1, requested: 1, failed: 1, other: 7 });
  });

  it('takes the median of the day’s succeeded, requested and failed durations only: the middle one, or the mean of the middle two', () => {
    const day = at('2026-03-10T09:00:00.000Z');
    const days = dailyStats(
      [
        deployment('succeeded', day, 40_000),
        deployment('failed', day + 1, 10_000),
        deployment('requested', day + 2, 100_000),
        deployment('succeeded', day + 3, 20_000),
        // Not deploy times: nothing ran, it stopped midway, or it has no end yet.
        deployment('skipped', day + 4, 0),
        deployment('canceled', day + 5, 1_000_000),
        deployment('in_progress', day + 6),
        // An odd count on another day: the middle value itself.
        deployment('succeeded', day + DAY_MS, 7_000),
        deployment('succeeded', day + DAY_MS + 1, 3_000),
        deployment('failed', day + DAY_MS + 2, 90_000),
      ],
      NOW,
    );
    expect(days.find((d) => d.day === '2026-03-10')).toMatchObject({
      medianDurationMs: 30_000,
      durations: 4,
      succeeded: 2,
      requested: 1,
      failed: 1,
      other: 3,
    });
    expect(days.find((d) => d.day === '2026-03-11')).toMatchObject({ medianDurationMs: 7_000, durations: 3 });
  });

  it('leaves out deployments created before the window’s first day or after today', () => {
    const days = dailyStats(
      [
        deployment('succeeded', windowStart(NOW, 30) - 1),
        deployment('failed', windowStart(NOW, 30)),
        deployment('failed', at('2026-03-15T00:00:00.000Z')),
      ],
      NOW,
    );
    expect(days.reduce((sum, d) => sum + d.succeeded + d.failed + d.other, 0)).toBe(1);
    expect(days[0]).toMatchObject({ day: '2026-02-13', failed: 1 });
  });
});

describe('median', () => {
  it('is null for no values and never confuses that with zero', () => {
    expect(median([])).toBeNull();
    expect(median([0])).toBe(0);
  });

  it('sorts numerically before taking the middle', () => {
    expect(median([100, 9, 20])).toBe(20);
    expect(median([100, 9, 20, 8])).toBe(14.5);
  });
});

describe('outcomeOf and windowStart', () => {
  it('keep a hook’s requested apart from succeeded and start the window at midnight UTC', () => {
    expect(outcomeOf('requested')).toBe('requested');
    expect(outcomeOf('succeeded')).toBe('succeeded');
    expect(outcomeOf('unknown')).toBe('other');
    expect(new Date(windowStart(NOW, 30)).toISOString()).toBe('2026-02-13T00:00:00.000Z');
    expect(new Date(windowStart(NOW, 1)).toISOString()).toBe('2026-03-14T00:00:00.000Z');
  });
});
