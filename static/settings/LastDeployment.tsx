import React from 'react';
import { Inline, Text } from '@forge/react';
import type { DeployNowResult, TargetView } from '../../src/core/settings-api';
import { awaitsRecord } from './activity';
import { age, StateLozenge } from './format';

/** A target's newest deployment, or the deploy asked for from this page while its job still waits. */
export function LastDeployment({ target, queued, now }: { target: TargetView; queued: DeployNowResult | undefined; now: number }) {
  const latest = target.latest;
  if (awaitsRecord(queued, latest)) {
    return (
      <Inline space="space.050">
        <StateLozenge state="queued" />
        <Text>{`${queued.branch} ${queued.commit.slice(0, 7)}`}</Text>
      </Inline>
    );
  }
  if (!latest) return <StateLozenge state="none" />;
  return (
    <Inline space="space.050">
      <StateLozenge state={latest.state} live={latest.state === 'succeeded'} />
      <Text>{age(latest.createdAt, now)}</Text>
    </Inline>
  );
}
