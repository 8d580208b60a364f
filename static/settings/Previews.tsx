import React, { useEffect, useState } from 'react';
import { DynamicTable, Link, SectionMessage, Stack, Text, Tooltip } from '@forge/react';
import type { PreviewsPage, PreviewView } from '../../src/core/settings-api';
import { call } from './api';
import { age, StateLozenge } from './format';

interface Props {
  /** Loaded only once the tab is open, and again whenever the page's data `changes`. */
  open: boolean;
  changes: number;
  now: number;
  repositoryFullName: string | null;
}

const HEAD = {
  cells: [
    { key: 'pr', content: 'Pull request' },
    { key: 'target', content: 'Target' },
    { key: 'state', content: 'State' },
    { key: 'url', content: 'Preview' },
    { key: 'commit', content: 'Commit' },
    { key: 'age', content: 'Updated' },
  ],
};

/** The open pull requests' previews (one row per pull request and preview target), and the last teardowns. */
export function Previews({ open, changes, now, repositoryFullName }: Props) {
  const [page, setPage] = useState<PreviewsPage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    void call<PreviewsPage>('getPreviews', {}).then((result) => {
      if (!result.ok) return setError(result.error.message);
      setError(null);
      setPage(result.data);
    });
  }, [open, changes]);

  const rowsOf = (views: PreviewView[]) =>
    views.map((v) => ({
      key: `${v.pullRequestId}-${v.targetId}`,
      cells: [
        {
          key: 'pr',
          content: repositoryFullName ? (
            <Link href={`https://bitbucket.org/${repositoryFullName}/pull-requests/${v.pullRequestId}`} openNewTab>
              {`#${v.pullRequestId} ${v.title}`}
            </Link>
          ) : (
            <Text>{`#${v.pullRequestId} ${v.title}`}</Text>
          ),
        },
        { key: 'target', content: `${v.targetName} (${v.environment})` },
        {
          key: 'state',
          content: (
            <Tooltip content={v.message}>
              <StateLozenge state={v.state} />
            </Tooltip>
          ),
        },
        {
          key: 'url',
          content: v.url ? (
            <Link href={v.url} openNewTab>
              {v.url}
            </Link>
          ) : (
            <Text>No address given</Text>
          ),
        },
        { key: 'commit', content: `${v.sourceBranch} ${v.commit.slice(0, 7)} → ${v.destination}` },
        {
          key: 'age',
          content: (
            <Tooltip content={new Date(v.updatedAt).toISOString()}>
              <Text>{age(v.updatedAt, now)}</Text>
            </Tooltip>
          ),
        },
      ],
    }));

  return (
    <Stack space="space.200">
      <Text>
        Preview targets deploy each open pull request into their branches; merging or declining it tears the preview down. Each pull request
        has one comment from Deploy Relay linking its previews.
      </Text>
      {error ? (
        <SectionMessage appearance="error" title="The previews could not be read">
          <Text>{error}</Text>
        </SectionMessage>
      ) : null}
      {page && page.corrupt > 0 ? <Text>{`${page.corrupt} previews could not be read and are not shown.`}</Text> : null}
      {page && page.open.length === 0 ? <Text>No pull request has a preview now.</Text> : null}
      <DynamicTable head={HEAD} rows={rowsOf(page?.open ?? [])} />
      {page && page.tornDown.length > 0 ? (
        <Stack space="space.100">
          <Text>Last teardowns (kept for 30 days):</Text>
          <DynamicTable head={HEAD} rows={rowsOf(page.tornDown)} />
        </Stack>
      ) : null}
    </Stack>
  );
}
