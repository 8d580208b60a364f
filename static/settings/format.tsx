import React from 'react';
import { Lozenge } from '@forge/react';
import type { DeploymentState } from '../../src/core/deployment';

type LozengeAppearance = 'default' | 'inprogress' | 'success' | 'removed' | 'moved' | 'new';

/**
 * Deploy states as Atlassian's Lozenge meanings (shared/docs/deploy-ux.md, section 4), keyed by every
 * record state so a new one fails to compile here; `queued` and `none` are the page's own.
 */
export const STATE_LOZENGE: Record<DeploymentState | 'queued' | 'none', { label: string; appearance: LozengeAppearance }> = {
  queued: { label: 'Queued', appearance: 'default' },
  // For its builds or an approval: the message says which.
  waiting: { label: 'Waiting', appearance: 'moved' },
  sending: { label: 'Deploying', appearance: 'inprogress' },
  retrying: { label: 'Retrying', appearance: 'moved' },
  in_progress: { label: 'Deploying', appearance: 'inprogress' },
  // A hook's receiver accepted the request; the vendor reports nothing more, so it is not "Succeeded".
  requested: { label: 'Requested', appearance: 'success' },
  succeeded: { label: 'Succeeded', appearance: 'success' },
  failed: { label: 'Failed', appearance: 'removed' },
  superseded: { label: 'Superseded', appearance: 'default' },
  canceled: { label: 'Canceled', appearance: 'default' },
  skipped: { label: 'Skipped', appearance: 'default' },
  // Following stopped (vendor unreadable, or still running after the limit): the vendor's page knows.
  unknown: { label: 'Outcome unknown', appearance: 'moved' },
  // A build failed or did not pass in time: nothing was sent.
  blocked: { label: 'Blocked', appearance: 'removed' },
  rejected: { label: 'Rejected', appearance: 'removed' },
  none: { label: 'Not deployed', appearance: 'default' },
};

export const StateLozenge = ({ state, live = false }: { state: string; live?: boolean }) => {
  if (live) {
    return (
      <Lozenge appearance="success" isBold>
        Live
      </Lozenge>
    );
  }
  const shown = STATE_LOZENGE[state as keyof typeof STATE_LOZENGE] ?? { label: state, appearance: 'default' as const };
  return <Lozenge appearance={shown.appearance}>{shown.label}</Lozenge>;
};

/** A write-only secret as the page may show it: whether it is set, with at most its last four characters. */
export const secretHint = (stored: { set: boolean; last4: string | null } | undefined): string =>
  stored?.set ? `Set${stored.last4 ? ` (…${stored.last4})` : ''}` : 'Not set';

/** "3m ago", as every deploy dashboard shows it. */
export function age(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

/** "1m 34s". */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

export const shortCommit = (hash: string, message: string): string => {
  const line = message.split('\n')[0] ?? '';
  return `${hash.slice(0, 7)} ${line.length > 60 ? `${line.slice(0, 59)}…` : line}`.trim();
};

export function ruleSummary(rules: { branches: string[]; tags: string[]; paths: { include: string[]; exclude: string[] } }): string {
  const parts = [...rules.branches.map((b) => `branch ${b}`), ...rules.tags.map((t) => `tag ${t}`)];
  if (parts.length === 0) return 'Manual only (no branch or tag rule)';
  const paths = rules.paths.include.length + rules.paths.exclude.length > 0 ? ' (path filters)' : '';
  return `${parts.join(', ')}${paths}`;
}

export const splitList = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
