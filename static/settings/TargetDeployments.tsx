import React from 'react';
import { Inline, Text, Tooltip } from '@forge/react';
import type { DeployNowResult, DeploymentView, TargetView } from '../../src/core/settings-api';
import { awaitsRecord } from './activity';
import { age, StateLozenge } from './format';

/** "main 77942bb 3m ago", the exact time on hover, after the deployment's state. */
const Deployment = ({ deployment, live, now }: { deployment: DeploymentView; live: boolean; now: number }) => (
  <Inline space="space.050" alignBlock="center" shouldWrap>
    <StateLozenge state={deployment.state} live={live} />
    <Text>{`${deployment.ref} ${deployment.commit.slice(0, 7)}`}</Text>
    <Tooltip content={new Date(deployment.createdAt).toISOString()}>
      <Text>{age(deployment.createdAt, now)}</Text>
    </Tooltip>
  </Inline>
);

/**
 * What the target serves now. "Live" is kept for a deploy the vendor reported as succeeded; a hook's
 * accepted request reads Requested, as nobody reported more.
 */
export function LiveDeployment({ target, now }: { target: TargetView; now: number }) {
  if (!target.live) return <Text>{target.latest ? 'No successful deploy found' : 'Nothing yet'}</Text>;
  return <Deployment deployment={target.live} live={target.live.state === 'succeeded'} now={now} />;
}

/** The newest attempt when it is not the live one, or the deploy asked for from this page while its job still waits. */
export function LatestAttempt({ target, queued, now }: { target: TargetView; queued: DeployNowResult | undefined; now: number }) {
  const latest = target.latest;
  if (awaitsRecord(queued, latest)) {
    return (
      <Inline space="space.050" alignBlock="center">
        <StateLozenge state="queued" />
        <Text>{`${queued.branch} ${queued.commit.slice(0, 7)}`}</Text>
      </Inline>
    );
  }
  if (!latest) return <StateLozenge state="none" />;
  if (latest.id === target.live?.id) return <Text>Same as live</Text>;
  return <Deployment deployment={latest} live={false} now={now} />;
}
