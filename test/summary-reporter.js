/**
 * Prints one closing line, `tests: N passed, N failed`, that CI and people can read at a glance
 * (jest's own summary also counts totals, which CI does not parse).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    console.log(`\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
}
module.exports = SummaryReporter;
