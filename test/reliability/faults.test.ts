// verdict.ts loads the scenario, which loads the local platform first (it installs the SDK's seams).
import { scenarioTest } from './verdict';

/**
 * Issue 5, item 1, the short run in `npm test`: a few hundred pushes with every kind of fault. The full
 * run (10,000 pushes over 50 repositories) is test/load/faults.test.ts, the same scenario. One session:
 * its held requests cost 20 real seconds, the most of this run's time.
 */
scenarioTest(
  {
    name: 'short',
    repositories: 10,
    pushes: 300,
    sessions: 1,
    wavesPerSession: 10,
    concurrency: 16,
    deadReceivers: 1,
    timeoutsPerSession: 2,
    seed: Number(process.env.RELIABILITY_SEED ?? 5),
  },
  'with 20 % of provider calls failing, every push ends in a recorded outcome, nothing is deployed twice and every commit carries its final status',
  120_000,
);
