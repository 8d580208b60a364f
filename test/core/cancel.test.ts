import { cancelability } from '../../src/core/cancel';
import { cancelWayOf } from '../../src/providers/registry';
import { makeTarget } from '../fixtures/targets';

const target = makeTarget({ id: 'do', provider: 'digitalocean', settings: { appId: 'app-1' } });
const running = {
  state: 'in_progress' as const,
  vendorId: 'dep-1',
  target: { id: 'do', name: 'DO', environment: 'production', provider: 'digitalocean' },
};
const CANCELS = { ok: true } as const;

describe('cancelability', () => {
  it('lets a running deploy with the vendor’s id be canceled, to a target whose provider cancels', () => {
    expect(cancelability(running, target, CANCELS)).toEqual({ ok: true });
  });

  it.each([
    [
      'a finished deploy',
      { ...running, state: 'succeeded' as const },
      target,
      CANCELS,
      'Only a deploy the vendor is running can be canceled',
    ],
    [
      'one still waiting at a gate',
      { ...running, state: 'waiting' as const },
      target,
      CANCELS,
      'Only a deploy the vendor is running can be canceled',
    ],
    ['a deleted target', running, null, null, 'Its target was deleted'],
    [
      'a target moved to another vendor',
      running,
      { ...target, provider: 'render' },
      CANCELS,
      'The target deploys to render now, not where this deploy went',
    ],
    ['settings that no longer bind', running, target, null, 'The target’s settings are not valid any more; fix them to cancel'],
    ['a vendor without a cancel call', running, target, { ok: false as const, why: 'Heroku has none' }, 'Heroku has none'],
    ['no vendor id', { ...running, vendorId: null }, target, CANCELS, 'The vendor gave this deploy no id to cancel'],
  ])('refuses %s, saying why', (_what, record, to, way, why) => {
    expect(cancelability(record, to, way)).toEqual({ ok: false, why });
  });
});

describe('cancelWayOf', () => {
  it('needs the API mode of a provider that has a hook mode too', () => {
    const hook = makeTarget({ id: 'v', provider: 'vercel', settings: { mode: 'hook' } });
    const api = makeTarget({ id: 'v', provider: 'vercel', settings: { mode: 'api', project: 'acme-web' } });
    expect(cancelWayOf(hook)).toEqual({
      ok: false,
      why: 'A Vercel hook cannot cancel a deploy; switch the target to API mode to cancel one',
    });
    expect(cancelWayOf(api)).toEqual({ ok: true });
    expect(cancelWayOf(undefined)).toBeNull();
  });
});
