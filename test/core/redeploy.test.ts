import { changedFields, changedSecrets } from '../../src/core/audit';
import { redeployability, redeployWay } from '../../src/core/redeploy';
import { allProviders, redeployWayOf } from '../../src/providers/registry';
import { everyProviderCases } from '../fixtures/every-provider';
import { makeTarget } from '../fixtures/targets';
import { makeDeployment } from '../page/settings-harness';

const webhook = makeTarget();
const record = (overrides: Parameters<typeof makeDeployment>[1] = {}) =>
  makeDeployment(1_763_633_800_000, {
    target: { id: webhook.id, name: webhook.name, environment: webhook.environment, provider: 'webhook' },
    ...overrides,
  });

describe('how a finished deploy is redeployed', () => {
  it('deploys the commit again where the request names it, from any final state', () => {
    for (const state of ['requested', 'succeeded', 'failed', 'skipped', 'superseded', 'unknown'] as const) {
      expect(redeployability(record({ state }), webhook, { by: 'commit' })).toEqual({
        ok: true,
        by: 'commit',
        how: 'Deploys this exact commit again',
      });
    }
  });

  it('refuses a deploy under way, a deleted or disabled target, and settings that no longer bind', () => {
    expect(redeployability(record({ state: 'in_progress' }), webhook, { by: 'commit' })).toEqual({
      ok: false,
      why: 'This deploy is still under way',
    });
    expect(redeployability(record(), null, null)).toEqual({ ok: false, why: 'Its target was deleted' });
    expect(redeployability(record(), { ...webhook, enabled: false }, { by: 'commit' })).toEqual({
      ok: false,
      why: 'The target is disabled; enable it to redeploy',
    });
    expect(redeployability(record(), webhook, null)).toEqual({
      ok: false,
      why: 'The target’s settings are not valid any more; fix them to redeploy',
    });
  });

  it('refuses a preview, and any record of a target that makes previews now: neither may deploy as a push', () => {
    const preview = {
      action: 'deploy' as const,
      pullRequest: { id: 7, title: 'Log in', destination: 'main', author: null },
    };
    expect(redeployability(record({ preview }), webhook, { by: 'commit' })).toEqual({
      ok: false,
      why: 'A preview redeploys when its pull request gets a new commit: push to the pull request',
    });
    expect(redeployability(record(), { ...webhook, preview: { allowForks: false } }, { by: 'commit' })).toEqual({
      ok: false,
      why: 'The target makes pull-request previews now, which redeploy when their pull request gets a new commit',
    });
  });

  it('rolls back only to a deploy that succeeded at the same vendor, and by id only where the vendor gave one', () => {
    const rollback = { by: 'rollback', needs: 'vendorId' } as const;
    expect(redeployability(record({ state: 'succeeded', vendorId: 'dep-1' }), webhook, rollback)).toMatchObject({
      ok: true,
      by: 'rollback',
    });
    expect(redeployability(record({ state: 'failed', vendorId: 'dep-1' }), webhook, rollback)).toEqual({
      ok: false,
      why: 'The vendor rolls back only to a deploy that succeeded',
    });
    expect(redeployWay({ provider: 'webhook', vendorId: null }, webhook, rollback)).toEqual({
      ok: false,
      why: 'The vendor gave this deploy no id to roll back to',
    });
    expect(redeployWay({ provider: 'webhook', vendorId: null }, webhook, { by: 'rollback', needs: 'commit' })).toMatchObject({ ok: true });
    expect(redeployWay({ provider: 'render', vendorId: 'x' }, webhook, { by: 'commit' })).toEqual({
      ok: false,
      why: 'The target deploys to webhook now, not where this deploy went',
    });
  });

  it('says why where the vendor can do neither', () => {
    expect(redeployability(record(), webhook, { by: 'none', why: 'No way' })).toEqual({ ok: false, why: 'No way' });
  });
});

describe('the registry', () => {
  const cases = everyProviderCases(
    (provider) => `https://${provider}.example.com`,
    (label, key) =>
      `${label}-${key}`
        .replace(/[^A-Za-z0-9]/g, '')
        .padEnd(24, 'x')
        .slice(0, 24),
  );

  it.each(cases.map((c) => [c.label, c] as const))(
    '%s: says how it redeploys; a rollback has its call, a refusal its reason',
    (_label, c) => {
      const provider = allProviders().find((p) => p.id === c.provider);
      const way = redeployWayOf(makeTarget({ provider: c.provider, settings: c.input.settings }));
      expect(way).not.toBeNull();
      if (way?.by === 'rollback') expect(typeof provider?.rollback).toBe('function');
      if (way?.by === 'none') expect(way.why).toMatch(/^[A-Z].{30,}[^.]$/);
    },
  );
});

describe('the audit log’s account of a change', () => {
  it('names the fields and secrets that changed, never their values', () => {
    const after = {
      ...webhook,
      name: 'Renamed',
      settings: { url: 'https://other.example.com/x' },
      options: { ...webhook.options, coalesce: false },
    };
    expect(changedFields(webhook, after)).toEqual(['name', 'settings.url', 'options.coalesce']);
    expect(changedFields(webhook, webhook)).toEqual([]);
    expect(changedSecrets({ a: '1', b: '2' }, { b: '3', c: '4' })).toEqual(['a', 'b', 'c']);
    expect(changedSecrets({ a: '1' }, { a: '1' })).toEqual([]);
  });
});
