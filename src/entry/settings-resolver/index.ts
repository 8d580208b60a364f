import Resolver from '@forge/resolver';
import { durationMs, type Deployment } from '../../core/deployment';
import { RelayError } from '../../core/errors';
import { isBracedUuid } from '../../core/ids';
import type { DeploymentView, PageData, Result, SettingsErrorCode, TargetView } from '../../core/settings-api';
import type { Target } from '../../core/targets';
import { isRepositoryAdmin } from '../../forge/bitbucket';
import { appLogger } from '../../forge/log';
import { getTargets, listDeployments } from '../../forge/store';

const HISTORY_PAGE = 20;

interface CallContext {
  repositoryUuid: string;
}

/** The repository comes only from the call's own context, never from the payload. */
function contextOf(context: unknown): CallContext | null {
  const extension = (context as { extension?: { repository?: { uuid?: unknown } } } | undefined)?.extension;
  const uuid = extension?.repository?.uuid;
  return typeof uuid === 'string' && isBracedUuid(uuid) ? { repositoryUuid: uuid } : null;
}

const fail = <T>(code: SettingsErrorCode, message: string): Result<T> => ({ ok: false, error: { code, message } });

/** Wraps a resolver so it checks the caller and never throws at the page. */
function guarded<T>(handler: (call: CallContext, payload: unknown) => Promise<T>) {
  return async ({ payload, context }: { payload: unknown; context: unknown }): Promise<Result<T>> => {
    const call = contextOf(context);
    if (!call) return fail('FORBIDDEN', 'This page must be opened from a repository’s settings.');
    try {
      if (!(await isRepositoryAdmin(call.repositoryUuid))) {
        return fail('FORBIDDEN', 'Only administrators of this repository can manage its deploy targets.');
      }
      return { ok: true, data: await handler(call, payload) };
    } catch (error) {
      if (error instanceof RelayError) return fail(error.code as SettingsErrorCode, error.message);
      appLogger.error('settings resolver failed', { error: (error as Error).message });
      return fail('INTERNAL', 'Something went wrong on our side; nothing was changed. Try again.');
    }
  };
}

const targetView = (target: Target): TargetView => ({
  id: target.id,
  name: target.name,
  environment: target.environment,
  provider: target.provider,
  enabled: target.enabled,
  settings: target.settings,
  secrets: Object.fromEntries(Object.entries(target.secretHints).map(([key, hint]) => [key, { set: true, last4: hint.last4 }])),
  rules: target.rules,
});

const deploymentView = (d: Deployment): DeploymentView => ({
  id: d.id,
  targetId: d.target.id,
  targetName: d.target.name,
  environment: d.target.environment,
  ref: d.ref.name,
  refType: d.ref.type,
  commit: d.commit.hash,
  commitMessage: d.commit.message,
  state: d.state,
  message: d.message,
  url: d.url,
  createdAt: d.createdAt,
  durationMs: durationMs(d),
});

async function getPage(call: CallContext): Promise<PageData> {
  const [doc, history] = await Promise.all([getTargets(call.repositoryUuid), listDeployments(call.repositoryUuid, HISTORY_PAGE)]);
  return {
    repository: { uuid: call.repositoryUuid, fullName: doc?.repository.fullName ?? null },
    targets: (doc?.targets ?? []).map(targetView),
    deployments: history.deployments.map(deploymentView),
    corruptRecords: history.corrupt.length,
  };
}

export const settingsResolver = new Resolver().define('getPage', guarded(getPage)).getDefinitions();
