// verdict.ts loads the scenario, which loads the local platform first (it installs the SDK's seams).
import { scenarioTest } from '../reliability/verdict';

/**
 * The full run (`npm run test:load`): 10,000 pushes over 50 repositories with three targets each, on the
 * harsh platform, 20 % of provider calls failing. The same scenario as the short runs in
 * test/reliability/. Forge retries an event at most four times here (RELIABILITY_MAX_RETRIES=none: its
 * 24 hours), the harder of the two for getting every record to a final state.
 */
const maxRetries = process.env.RELIABILITY_MAX_RETRIES === 'none' ? undefined : Number(process.env.RELIABILITY_MAX_RETRIES ?? 4);

scenarioTest(
  {
    name: 'full',
    repositories: 50,
    pushes: 10_000,
    sessions: 10,
    // 25 pushes a wave, a wave a minute: about 1,500 pushes an hour, under Forge's 500 events a minute.
    wavesPerSession: 40,
    concurrency: 16,
    deadReceivers: 1,
    timeoutsPerSession: 2,
    seed: Number(process.env.RELIABILITY_SEED ?? 5),
    maxRetries,
  },
  '10,000 pushes on the harsh platform with 20 % of provider calls failing: nothing lost, sent once, in push order, every record final, every commit with its final status',
  60 * 60_000,
);
