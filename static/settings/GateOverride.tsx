import React from 'react';
import { SectionMessage, Stack, Text } from '@forge/react';
import type { TargetView } from '../../src/core/settings-api';
import { LabelledToggle } from './fields';

/** The gates a deploy to `target` waits at now, in the words the override names them. */
export function gatesOf(target: TargetView): string[] {
  return [
    ...(target.options.waitForBuilds ? ['its builds'] : []),
    ...(target.options.requireApproval ? ['an approval'] : []),
    ...(target.frozen ? [`the freeze until ${target.frozen.until}`] : []),
  ];
}

/**
 * Deploy now and Redeploy on a target with gates: the freeze in force, if any (then the deploy is
 * refused without the override), and the switch that deploys without waiting, which the audit log records.
 */
export function GateOverride({ target, isChecked, onChange }: { target: TargetView; isChecked: boolean; onChange: (on: boolean) => void }) {
  const gates = gatesOf(target);
  if (gates.length === 0) return null;
  return (
    <Stack space="space.100">
      {target.frozen ? (
        <SectionMessage appearance="warning" title={`${target.name} is frozen until ${target.frozen.until}`}>
          <Text>{`${target.frozen.why}. A deploy now needs the gates overridden.`}</Text>
        </SectionMessage>
      ) : null}
      <LabelledToggle
        id="overrideGates"
        label={`Override the gates: deploy without waiting for ${gates.join(', ')} (recorded in the audit log)`}
        isChecked={isChecked}
        onChange={onChange}
      />
    </Stack>
  );
}
