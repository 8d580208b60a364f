// verdict.ts loads the scenario, which loads the local platform first (it installs the SDK's seams).
import { scenarioTest } from './verdict';

/**
 * The short runs in `npm test`: a few hundred pushes with every kind of fault, on the harsh platform,
 * once with Forge retrying an event at most four times and once for its 24 hours: the app must be right
 * under both; and once with gates on (scenario.ts, `gates`), whose waits must not bend any promise. The full run (10,000 pushes over 50 repositories) is test/load/faults.test.ts, the same
 * scenario. One session each: its held requests cost 20 real seconds, the most of a run's time.
 */
const short = {
  name: 'short',
  repositories: 10,
  pushes: 300,
  sessions: 1,
  wavesPerSession: 10,
  concurrency: 16,
  deadReceivers: 1,
  timeoutsPerSession: 2,
  seed: Number(process.env.RELIABILITY_SEED ?? 5),
};

describe('with gates switched on (wait for builds, a freeze)', () => {
  scenarioTest(
    { ...short, name: 'short, gated', gates: true },
    'the same promises hold while deploys wait for builds and for a freeze to end, and no gate is passed early',
    180_000,
  );
});

describe.each([{ maxRetries: 4 }, { maxRetries: undefined }])('Forge retrying an event (cap: $maxRetries)', ({ maxRetries }) => {
  scenarioTest(
    { ...short, maxRetries },
    'with 20 % of provider calls failing, every push ends in a recorded outcome, in push order, sent once, with its final status on the commit',
    180_000,
  );
});
