// The platform comes first: importing it wraps the global fetch before @forge/api captures it.
import { createLocalPlatform, type LocalPlatform } from '../../local/platform';
import { loadDefaultFixture } from '../../local/bitbucket';

/** The acme/web repository of local/fixtures/workspace.json, its admin and a reader. */
const fixture = loadDefaultFixture();
export const WORKSPACE = fixture.workspace.uuid as string;
export const REPO = fixture.repositories[0]!.uuid as string;
export const ADMIN = '557058:admin-0001';
export const READER = '557058:reader-0002';

/** What a repository settings page's `view.getContext()` gives, and so what the resolver receives. */
export const pageContext = (accountId: string) => ({
  accountId,
  moduleKey: 'settings-page',
  workspaceId: WORKSPACE,
  extension: { type: 'bitbucket:repoSettingsMenuPage', repository: { uuid: REPO }, workspace: { uuid: WORKSPACE } },
});

export interface SettingsSession {
  platform: LocalPlatform;
  /** Every resolver answer of the session, to scan for secrets. */
  responses: unknown[];
  invokeAs(accountId: string): (functionKey: string, payload?: unknown) => Promise<unknown>;
}

export function openSession(): SettingsSession {
  const platform = createLocalPlatform();
  const responses: unknown[] = [];
  return {
    platform,
    responses,
    invokeAs: (accountId) => async (functionKey, payload) => {
      const answer = await platform.invokeResolver('settings-resolver', { functionKey, payload }, pageContext(accountId), accountId);
      responses.push(answer);
      return answer;
    },
  };
}

/** Every response that contains one of the secrets, with the secret named: expected to be empty. */
export function leakedSecrets(responses: readonly unknown[], secrets: readonly string[]): string[] {
  return responses.flatMap((response, index) => {
    const text = JSON.stringify(response) ?? '';
    return secrets.filter((secret) => text.includes(secret)).map((secret) => `response ${index} carries ${secret.slice(0, 6)}…`);
  });
}
