import React, { useEffect, useState } from 'react';
import { DynamicTable, Inline, LoadingButton, SectionMessage, Stack, Text, Tooltip, User } from '@forge/react';
import type { AuditAction, AuditEntry } from '../../src/core/audit';
import type { AuditPage } from '../../src/core/settings-api';
import { call } from './api';
import { age } from './format';

const ACTION_LABELS: Record<AuditAction, string> = {
  'target.created': 'Target created',
  'target.changed': 'Target changed',
  'target.deleted': 'Target deleted',
  'target.enabled': 'Target enabled',
  'target.disabled': 'Target disabled',
  'target.paused': 'Automatic deploys paused',
  'target.resumed': 'Automatic deploys resumed',
  'deploy.manual': 'Deploy now',
  'deploy.redeploy': 'Redeploy',
  'deploy.approved': 'Deploy approved',
  'deploy.rejected': 'Deploy rejected',
  'deploy.cancel': 'Cancel asked',
};

interface Props {
  /** Loaded only once the tab is open, and again whenever the page's data `changes`. */
  open: boolean;
  changes: number;
  now: number;
}

/** The repository's audit log: who changed a target or asked for a deploy, and when; newest first, a year kept. */
export function AuditLog({ open, changes, now }: Props) {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [corrupt, setCorrupt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (after: string | null) => {
    setLoading(true);
    const result = await call<AuditPage>('getAudit', after ? { cursor: after } : {});
    setLoading(false);
    if (!result.ok) return setError(result.error.message);
    setError(null);
    setEntries((shown) => [...(after ? (shown ?? []) : []), ...result.data.entries]);
    setCursor(result.data.nextCursor);
    setCorrupt((count) => (after ? count : 0) + result.data.corruptEntries);
  };

  useEffect(() => {
    if (open) void load(null);
  }, [open, changes]);

  return (
    <Stack space="space.200">
      <Text>Every change to a target and every deploy asked for from this page, with who did it. Entries are kept for a year.</Text>
      {error ? (
        <SectionMessage appearance="error" title="The audit log could not be read">
          <Text>{error}</Text>
        </SectionMessage>
      ) : null}
      {corrupt > 0 ? <Text>{`${corrupt} entries could not be read and are not shown.`}</Text> : null}
      {entries !== null && entries.length === 0 ? <Text>Nothing has been changed yet.</Text> : null}
      <DynamicTable
        head={{
          cells: [
            { key: 'time', content: 'When' },
            { key: 'who', content: 'Who' },
            { key: 'action', content: 'Action' },
            { key: 'target', content: 'Target' },
            { key: 'detail', content: 'What' },
          ],
        }}
        rows={(entries ?? []).map((entry) => ({
          key: entry.id,
          cells: [
            {
              key: 'time',
              content: (
                <Tooltip content={new Date(entry.at).toISOString()}>
                  <Text>{age(entry.at, now)}</Text>
                </Tooltip>
              ),
            },
            {
              key: 'who',
              content: entry.actor ? (
                <Inline>
                  <User accountId={entry.actor} />
                </Inline>
              ) : (
                <Text>Unknown</Text>
              ),
            },
            { key: 'action', content: ACTION_LABELS[entry.action] },
            { key: 'target', content: entry.target?.name ?? '' },
            { key: 'detail', content: entry.detail },
          ],
        }))}
      />
      {cursor !== null ? (
        <LoadingButton isLoading={loading} onClick={() => void load(cursor)}>
          Older entries
        </LoadingButton>
      ) : null}
    </Stack>
  );
}
