/**
 * Renders the fixture page twice in plain Node (`npx tsx test/local/fixture-page/render-twice.ts`),
 * outside jest, where the harness isolates pages through require.cache instead of
 * jest.isolateModules. ui.test.tsx runs it in a child process and reads the JSON it prints.
 */
import { join } from 'node:path';
import { renderPage } from '../../../local/ui/harness';

async function renderOnce(revision: number): Promise<{ text: string; invocations: unknown[] }> {
  const page = await renderPage(join(__dirname, 'index.tsx'), {
    context: { extension: { repository: { uuid: '{repo-tsx}' } } },
    invoke: async (functionKey) =>
      functionKey === 'load' ? { targets: [{ name: 'prod', provider: 'heroku', notify: false }], autoDeploy: true } : { revision },
  });
  await page.press('Save settings');
  const result = { text: page.text(), invocations: page.invocations };
  await page.unmount();
  return result;
}

async function main(): Promise<void> {
  const first = await renderOnce(1);
  const second = await renderOnce(2);
  const bridgeLeft = (globalThis as { __bridge?: unknown }).__bridge !== undefined;
  process.stdout.write(JSON.stringify({ first, second, bridgeLeft }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
