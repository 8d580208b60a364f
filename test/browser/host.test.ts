/**
 * The browser host is at least as strict as the product: what the product would not paint or carry
 * shows as an error box and a console error, and the app's frame can neither fetch by itself nor
 * reach the host page. The probe page (probe-page/) does each of these beside one working Button.
 */
import path from 'node:path';
import { ADMIN, closeBrowser, launchBrowser, waitForText, withSession } from './browser';

jest.setTimeout(60_000);

beforeAll(launchBrowser);
afterAll(closeBrowser);

test('what the product would refuse is refused here too, loudly, and the rest of the page still works', async () => {
  await withSession(
    'host refusals',
    async (session) => {
      await session.open(ADMIN);
      const app = session.page.getByRole('region', { name: 'Deploy Relay' });
      await waitForText(app, 'fetch: refused');
      await waitForText(app, 'host document: out of reach');
      await waitForText(app, 'flag: asked');

      const boxes = await app.getByRole('alert').allTextContents();
      expect(boxes).toEqual([
        'Not shown by the local host: the UI Kit component "Badge"',
        'Not shown by the local host: Select.options[0].label is a React element passed as a prop (only the tree’s children are painted)',
        'Not shown by the local host: Select.options[0].onPick is a function inside an object or array (only a prop itself can be a handler)',
        'Not shown by the local host: Select.value is a Date object',
      ]);
      await app.getByRole('button', { name: 'Pressed 0' }).click();
      await app.getByRole('button', { name: 'Pressed 1' }).waitFor();

      const logged = session.errors.splice(0);
      const said = [
        'the UI Kit component "Badge"',
        'Select.options[0].label is a React element',
        'Select.options[0].onPick is a function inside an object or array',
        'Select.value is a Date object',
        'the local host does not model the bridge call "showFlag"',
      ];
      expect(said.filter((expected) => !logged.some((line) => line.includes(expected)))).toEqual([]);
    },
    { pageEntry: path.join(__dirname, 'probe-page', 'index.tsx') },
  );
});
