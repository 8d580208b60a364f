// verdict.ts loads the scenario, which loads the local platform first (it installs the SDK's seams).
import { scenarioTest } from '../reliability/verdict';

/**
 * Issue 5, item 1, the full run (`npm run test:load`): 10,000 pushes over 50 repositories with three
 * targets each, 20 % of provider calls failing. The same scenario as the short run in test/reliability/.
 */
scenarioTest(
  {
    name: 'full',
    repositories: 50,
    pushes: 10_000,
    sessions: 10,
    wavesPerSession: 10,
    concurrency: 16,
    deadReceivers: 1,
    timeoutsPerSession: 2,
    seed: Number(process.env.RELIABILITY_SEED ?? 5),
  },
  '10,000 pushes with 20 % of provider calls failing: nothing lost, nothing deployed twice, every commit with its final status',
  30 * 60_000,
);
