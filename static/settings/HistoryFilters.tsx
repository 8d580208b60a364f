import React, { useState } from 'react';
import { Button, Inline, LoadingButton, Select, Stack, Textfield } from '@forge/react';
import type { HistoryFilter, TargetView } from '../../src/core/settings-api';
import { Field } from './fields';
import { STATE_LOZENGE } from './format';

interface Props {
  targets: TargetView[];
  /** The filter the list shows now; null for every deployment. */
  applied: HistoryFilter | null;
  busy: boolean;
  onApply: (filter: HistoryFilter | null) => void;
}

type Option = { label: string; value: string };

/** One status option per label: "Deploying" stands for both states that read so. */
const STATUS_OPTIONS: Option[] = [
  { label: 'Any status', value: '' },
  ...Object.entries(STATE_LOZENGE)
    .filter(([state]) => state !== 'queued' && state !== 'none')
    .reduce<{ label: string; states: string[] }[]>((groups, [state, { label }]) => {
      const group = groups.find((g) => g.label === label);
      if (group) group.states.push(state);
      else groups.push({ label, states: [state] });
      return groups;
    }, [])
    .map((group) => ({ label: group.label, value: group.states.join(',') })),
];

/** The history's filters, applied by the resolver before it pages (so every page is full). */
export function HistoryFilters({ targets, applied, busy, onApply }: Props) {
  const [targetId, setTargetId] = useState(applied?.targetId ?? '');
  const [states, setStates] = useState(applied?.states?.join(',') ?? '');
  const [ref, setRef] = useState(applied?.ref ?? '');
  const targetOptions: Option[] = [
    { label: 'Any target', value: '' },
    ...targets.map((t) => ({ label: `${t.name} (${t.environment})`, value: t.id })),
  ];

  const apply = () => {
    const filter: HistoryFilter = {
      ...(targetId ? { targetId } : {}),
      ...(states ? { states: states.split(',') } : {}),
      ...(ref.trim() ? { ref: ref.trim() } : {}),
    };
    onApply(Object.keys(filter).length > 0 ? filter : null);
  };
  const clear = () => {
    setTargetId('');
    setStates('');
    setRef('');
    onApply(null);
  };

  return (
    <Stack space="space.100">
      <Inline space="space.200" alignBlock="end" shouldWrap>
        <Field id="filterTarget" label="Target">
          <Select
            inputId="filterTarget"
            name="filterTarget"
            options={targetOptions}
            value={targetOptions.find((o) => o.value === targetId) ?? null}
            onChange={(option: Option | null) => setTargetId(option?.value ?? '')}
          />
        </Field>
        <Field id="filterStatus" label="Status">
          <Select
            inputId="filterStatus"
            name="filterStatus"
            options={STATUS_OPTIONS}
            value={STATUS_OPTIONS.find((o) => o.value === states) ?? null}
            onChange={(option: Option | null) => setStates(option?.value ?? '')}
          />
        </Field>
        <Field id="filterRef" label="Branch or tag">
          <Textfield
            id="filterRef"
            name="filterRef"
            value={ref}
            placeholder="Exact name, e.g. main"
            onChange={(e) => setRef(e.target.value)}
          />
        </Field>
      </Inline>
      <Inline space="space.100">
        <LoadingButton isLoading={busy} onClick={apply}>
          Apply filters
        </LoadingButton>
        {applied ? (
          <Button appearance="subtle" isDisabled={busy} onClick={clear}>
            Clear filters
          </Button>
        ) : null}
      </Inline>
    </Stack>
  );
}
