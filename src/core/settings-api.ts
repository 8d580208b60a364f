import type { Trigger } from './job';
import type { AuditEntry } from './audit';
import type { Freeze } from './freeze';
import type { Cancelable } from './cancel';
import type { Redeployable } from './redeploy';
import type { DayStats } from './stats';

/**
 * The contract between the settings page and its resolver. Resolvers never throw at the page: every
 * answer is a Result, and the page shows `error.message` where the user acted (with `fields` next to
 * the inputs they concern).
 */
export type SettingsErrorCode =
  | 'FORBIDDEN'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CORRUPT_RECORD'
  | 'UNKNOWN_PROVIDER'
  | 'EGRESS_NOT_ALLOWED'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_UNAVAILABLE'
  | 'INTERNAL';

export type Result<T> =
  | { ok: true; data: T }
  | {
      ok: false;
      error: {
        code: SettingsErrorCode;
        message: string;
        fields?: Record<string, string>;
        /** With EGRESS_NOT_ALLOWED: the origins to ask a workspace admin to approve (customer-managed egress). */
        egress?: string[];
      };
    };

/** What the page says when Forge needs the person's consent before the app may ask Bitbucket as them. */
export const CONSENT_MESSAGE =
  'Deploy Relay needs your permission to ask Bitbucket, as you, whether you administer this repository. Allow access when Bitbucket asks, then reload this page. Nothing was changed.';

/**
 * The one customer-managed egress group the page asks Forge for (permissions.egress.set): every
 * self-hosted instance and webhook receiver the workspace's targets call, approved by a workspace admin.
 */
export const EGRESS_GROUP = {
  key: 'deploy-relay-targets',
  description:
    'Deploy Relay targets: the self-hosted Dokploy and Coolify instances and the webhook receivers that repository admins point deploys at. Deploy Relay sends only deploy requests there.',
} as const;

/** Resolver function keys, as `invoke(key, payload)` names them. */
export const RESOLVERS = [
  'getPage',
  'getHistory',
  'saveTarget',
  'deleteTarget',
  'setEnabled',
  'setPaused',
  'searchBranches',
  'deployNow',
  'verifyTarget',
  'testTarget',
  'getStats',
  'recordEgress',
  'redeploy',
  'getAudit',
  'decideDeploy',
  'cancelDeploy',
  'getPreviews',
] as const;
export type ResolverKey = (typeof RESOLVERS)[number];

export interface TargetRulesView {
  branches: string[];
  tags: string[];
  paths: { include: string[]; exclude: string[] };
}

export interface TargetOptionsView {
  skipMarkers: boolean;
  coalesce: boolean;
  reportOnCommit: boolean;
  waitForBuilds: boolean;
  buildKeys: string[];
  buildWaitMinutes: number;
  requireApproval: boolean;
  approverNotPusher: boolean;
  approvalWaitHours: number;
  freeze: Freeze;
}

export interface TargetView {
  id: string;
  name: string;
  environment: string;
  provider: string;
  enabled: boolean;
  /** Automatic deploys paused: pushes are recorded as skipped, Deploy now and Redeploy still deploy. */
  paused: boolean;
  /** A preview target (core/previews.ts): it deploys pull requests into its branches, not pushes. Null for a branch target. */
  preview: { allowForks: boolean } | null;
  settings: Record<string, string | number | boolean>;
  /** Which secrets are set, with at most their last four characters: never the value. */
  secrets: Record<string, { set: boolean; last4: string | null }>;
  rules: TargetRulesView;
  options: TargetOptionsView;
  /** The newest deployment to this target, if any: the latest attempt. */
  latest: DeploymentView | null;
  /**
   * What the target serves now: its newest deployment in a LIVE_STATES state, among the newest records
   * the page reads (null when none of them is). The same as `latest` when the last attempt went live.
   */
  live: DeploymentView | null;
  /** Origins this target calls that the installation may not reach yet (neither declared nor approved). */
  unapprovedEgress: string[];
  /** The freeze in force as the page was read: until when (in the freeze's time zone) and why; null when none is. */
  frozen: { until: string; why: string } | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * A deployment in one of these states is what its target serves until a newer one is: it succeeded, or
 * a hook's receiver accepted it (the vendor reports nothing more, so that is as live as it is known to get).
 */
export const LIVE_STATES: readonly string[] = ['succeeded', 'requested'];

export interface DeploymentView {
  id: string;
  targetId: string;
  targetName: string;
  environment: string;
  trigger: Trigger;
  /** Whether *Redeploy this commit* can run for this deployment now, and how; or why not. */
  redeploy: Redeployable;
  /** Whether *Cancel* can ask the vendor to stop this deployment now; or why not. */
  cancel: Cancelable;
  /** What a waiting deploy waits for; null for one that is not waiting. */
  waitingFor: 'builds' | 'approval' | 'freeze' | null;
  /** Asked for from the page with the gates overridden (the audit log says who). */
  overrideGates: boolean;
  /** The admin who approved or rejected it, when one did. */
  decidedBy: string | null;
  /** The Atlassian account that pushed or pressed Deploy now, as recorded; null when none was. */
  actor: string | null;
  ref: string;
  refType: 'branch' | 'tag';
  commit: string;
  commitMessage: string;
  state: string;
  /** Whether the state is an outcome; while any shown deployment is not, the page refreshes itself. */
  final: boolean;
  message: string;
  url: string | null;
  createdAt: number;
  durationMs: number | null;
}

export interface ProviderFieldView {
  key: string;
  label: string;
  kind: 'text' | 'url' | 'select' | 'boolean';
  required: boolean;
  secret: boolean;
  help: string | null;
  options: { value: string; label: string }[];
  /** The value of the provider's `mode` field this field belongs to; null when it applies in every mode. */
  mode: string | null;
}

export interface ProviderView {
  id: string;
  title: string;
  fields: ProviderFieldView[];
  /** Why its targets cannot be preview targets; null when they can. */
  noPreviews: string | null;
}

/**
 * What getHistory lists (every field optional, all of them must match): one target, deployments in one
 * of `states`, and one branch or tag by its exact name. Applied before paging, so each page is full.
 */
export interface HistoryFilter {
  targetId?: string;
  states?: string[];
  ref?: string;
}

export interface HistoryPage {
  deployments: DeploymentView[];
  /** Pass back as `cursor` to getHistory (with the same filter) for the next (older) page; null at the end. */
  nextCursor: string | null;
  corruptRecords: number;
}

/** The History tab's chart, loaded when the tab is opened (the first render stays one call). */
export interface StatsView {
  /** Oldest first, one per UTC day of the window, today last. */
  days: DayStats[];
  windowDays: number;
  /** How many stored records were read for it, at most `cap`. */
  scanned: number;
  cap: number;
  /**
   * The cap was reached before the window's first day: days before `countedSince` (the oldest counted
   * deployment's time) are missing deployments, and the page says so.
   */
  truncated: boolean;
  countedSince: number;
  corruptRecords: number;
}

export interface PageData {
  repository: { uuid: string; fullName: string | null; name: string | null; mainBranch: string | null };
  targets: TargetView[];
  history: HistoryPage;
  providers: ProviderView[];
  /** Hosts manifest.yml allows outbound calls to: the vendors' fixed APIs. */
  egressHosts: string[];
  /** Customer-managed egress a workspace admin approved, as last recorded from Forge. */
  approvedEgress: string[];
  maxTargets: number;
  /** Kept for the first page's callers: the same as history.deployments / history.corruptRecords. */
  deployments: DeploymentView[];
  corruptRecords: number;
}

/**
 * A target as the form sends it. Secrets are write-only: a key left out (or '') keeps the stored
 * value, a non-empty string replaces it, null clears it.
 */
/** The options as a save sends them: those left out take their defaults; the wait is what was typed when it is not a number. */
export type SaveOptionsInput = Pick<TargetOptionsView, 'skipMarkers' | 'coalesce' | 'reportOnCommit'> &
  Partial<Pick<TargetOptionsView, 'waitForBuilds' | 'buildKeys' | 'requireApproval' | 'approverNotPusher'>> & {
    buildWaitMinutes?: number | string;
    approvalWaitHours?: number | string;
    /** The freeze windows as typed, one per line (core/freeze.ts reads them). */
    freeze?: { timeZone: string; weekly: string; once: string; during: Freeze['during'] };
  };

export interface SaveTargetInput {
  /** Absent for a new target. */
  id?: string;
  name: string;
  environment: string;
  provider: string;
  settings: Record<string, string | number | boolean>;
  secrets: Record<string, string | null>;
  rules: TargetRulesView;
  options: SaveOptionsInput;
  enabled: boolean;
  /** A preview target's settings; absent or null for a target that deploys pushes. */
  preview?: { allowForks: boolean } | null;
  /** When editing: the target's `updatedAt` as the form was opened on; a target changed since is not overwritten. */
  expectedUpdatedAt?: string;
}

export interface BranchView {
  name: string;
  commit: string;
  date: string | null;
  /** Whether the given patterns (if any) match this branch. */
  matches: boolean;
}

export interface BranchSearch {
  branches: BranchView[];
  /** True when Bitbucket had more matching branches than were returned. */
  more: boolean;
}

/** One preview target's preview of one pull request, as its lane last sent it (core/preview-comment.ts). */
export interface PreviewView {
  pullRequestId: number;
  title: string;
  sourceBranch: string;
  destination: string;
  targetId: string;
  targetName: string;
  environment: string;
  /** `deploy` while the pull request is open; `teardown` once it was merged or declined. */
  action: 'deploy' | 'teardown';
  state: string;
  message: string;
  url: string | null;
  commit: string;
  updatedAt: number;
}

/** The Previews tab: the open pull requests' previews, newest first, and the last teardowns (kept 30 days). */
export interface PreviewsPage {
  open: PreviewView[];
  tornDown: PreviewView[];
  /** Stored previews that no longer parse: counted, never shown as if they were whole. */
  corrupt: number;
}

/** A cancel the vendor agreed to: what was asked; the record shows the outcome at the poller's next read. */
export interface CancelView {
  deploymentId: string;
  message: string;
}

export interface DeployNowResult {
  deliveryId: string;
  targetId: string;
  branch: string;
  commit: string;
  commitMessage: string;
  queuedAt: number;
}

export interface VerifyView {
  ok: boolean;
  message: string;
  shapeOnly: boolean;
}

/** A page of the repository's audit log, newest first (core/audit.ts). */
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
  /** Entries that no longer parse: counted, never shown as if they were whole. */
  corruptEntries: number;
}

/** The answer to an approval or a rejection: the decision that stands (another admin's, when theirs came first). */
export interface DecisionView {
  deploymentId: string;
  decision: 'approve' | 'reject';
  by: string;
  /** False when another admin had already decided: theirs stands, and this one changed nothing. */
  mine: boolean;
}
