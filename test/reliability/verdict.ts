import { type Scenario, type ScenarioResult, type ScenarioSize, startScenario } from './scenario';

/**
 * The one test both runs make (test/reliability/faults.test.ts and test/load/faults.test.ts): start the
 * scenario at a size, run it, print its counts where `jest --silent` still shows them, assert them.
 */
export function scenarioTest(size: ScenarioSize, title: string, timeoutMs: number): void {
  let scenario: Scenario | undefined;
  beforeAll(async () => {
    scenario = await startScenario(size);
  });
  afterAll(async () => scenario?.close());
  it(title, async () => expectNothingLost(await scenario!.run()), timeoutMs);
}

function expectNothingLost(result: ScenarioResult): void {
  process.stdout.write(`${result.lines.join('\n')}\n`);
  const { tally } = result;
  // The problems name what went wrong, so a failing run says more than a count.
  expect({ problems: tally.problems, triggerErrors: result.triggerErrors }).toEqual({ problems: [], triggerErrors: 0 });
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBe(0);
  expect(tally.regressions).toBe(0);
  expect(tally.notFinal).toBe(0);
  expect({ missing: tally.missingStatus, wrong: tally.wrongStatus }).toEqual({ missing: 0, wrong: 0 });
  expect(tally.misjudgedSkips + tally.wronglySuperseded + tally.overAttempts + tally.invalidSignatures + tally.deadLetters).toBe(0);
  // A run where nothing happened must not pass for a clean one. Coalescing supersedes most pushes of a
  // burst for two of the three targets; the third (no coalescing) deploys nearly all of its pushes.
  expect(tally.outcomes.deployed).toBeGreaterThan(tally.expected / 4);
}
