import React from 'react';
import { SectionMessage, Text } from '@forge/react';
import { REFRESH_LIMIT_MS } from './activity';
import type { PageState } from './usePage';
import type { RowNote } from './useTargetActions';

interface Props {
  state: Pick<PageState, 'loadError' | 'refreshGaveUp' | 'history'>;
  note: RowNote | null;
}

/** What the page says above the tabs: a failed refresh, a refresh that gave up, the last action's outcome, unreadable records. */
export function PageMessages({ state, note }: Props) {
  return (
    <>
      {state.loadError ? (
        <SectionMessage appearance="error" title="Could not refresh">
          <Text>{state.loadError}</Text>
        </SectionMessage>
      ) : null}
      {state.refreshGaveUp ? (
        <SectionMessage appearance="information" title="No longer refreshing by itself">
          <Text>{`A deployment is still running after ${REFRESH_LIMIT_MS / 60_000} minutes of watching. Press Refresh to look again.`}</Text>
        </SectionMessage>
      ) : null}
      {note ? (
        <SectionMessage appearance={note.appearance} title={note.title}>
          <Text>{note.text}</Text>
        </SectionMessage>
      ) : null}
      {state.history && state.history.corruptRecords > 0 ? (
        <SectionMessage appearance="warning" title="Some deployment records could not be read">
          <Text>{`${state.history.corruptRecords} stored record(s) no longer parse and are not shown.`}</Text>
        </SectionMessage>
      ) : null}
    </>
  );
}
