// Mirrors manifest.yml: only the functions it names, grouped by module kind.

// trigger
export { pushTrigger } from './entry/push-trigger';

// consumer
export { deployWorker } from './entry/deploy-worker';
export { statusPoller } from './entry/status-poller';

// bitbucket:repoSettingsMenuPage resolver
export { settingsResolver } from './entry/settings-resolver';
