/**
 * The contract between the settings page and its resolver. Resolvers never throw at the page: every
 * answer is a Result, and the page shows `error.message` where the user acted.
 */
export type SettingsErrorCode = 'FORBIDDEN' | 'INVALID_INPUT' | 'NOT_FOUND' | 'CORRUPT_RECORD' | 'UNKNOWN_PROVIDER' | 'EGRESS_NOT_ALLOWED' | 'INTERNAL';

export type Result<T> = { ok: true; data: T } | { ok: false; error: { code: SettingsErrorCode; message: string; fields?: Record<string, string> } };

export interface TargetView {
  id: string;
  name: string;
  environment: string;
  provider: string;
  enabled: boolean;
  settings: Record<string, string | number | boolean>;
  /** Which secrets are set, with at most their last four characters: never the value. */
  secrets: Record<string, { set: boolean; last4: string | null }>;
  rules: { branches: string[]; tags: string[]; paths: { include: string[]; exclude: string[] } };
}

export interface DeploymentView {
  id: string;
  targetId: string;
  targetName: string;
  environment: string;
  ref: string;
  refType: 'branch' | 'tag';
  commit: string;
  commitMessage: string;
  state: string;
  message: string;
  url: string | null;
  createdAt: number;
  durationMs: number | null;
}

export interface PageData {
  repository: { uuid: string; fullName: string | null };
  targets: TargetView[];
  deployments: DeploymentView[];
  corruptRecords: number;
}
