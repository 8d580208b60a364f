import type { WorkspaceFixture } from '../bitbucket';

/**
 * What a repository settings page's `view.getContext()` gives in Bitbucket (and so what its
 * resolver receives as context), for the fixture's first repository.
 */
export function repoSettingsContext(fixture: WorkspaceFixture, accountId: string, moduleKey = 'settings-page') {
  const workspace = fixture.workspace.uuid;
  const repository = fixture.repositories[0]?.uuid;
  return {
    accountId,
    moduleKey,
    workspaceId: workspace,
    extension: { type: 'bitbucket:repoSettingsMenuPage', repository: { uuid: repository }, workspace: { uuid: workspace } },
  };
}
