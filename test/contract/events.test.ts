import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createBitbucketStandIn } from '../../local/bitbucket';
import { documentedShapeProblems, pushEventSchema } from '../../local/bitbucket/events';
import { parsePushEvent } from '../../src/core/push-event';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';
import { planTraffic } from '../reliability/traffic';
import { seededRandom } from '../../local/random';

/**
 * Every push event the tests and the local platform use holds to a strict schema transcribed from
 * Forge's "Bitbucket events" type reference (local/bitbucket/events.ts): an invented or mistyped field
 * (a `mainbranch` guessed as a string) fails here, whatever the app's own parser would accept.
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'events');
const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => [file, JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { eventType: string }] as const);

describe("Forge's type reference, transcribed", () => {
  it.each(fixtures)('test/fixtures/events/%s fits it', (_file, event) => {
    expect(documentedShapeProblems(event)).toEqual([]);
  });

  it("holds the docs' own two example pushes, and the app reads both", () => {
    const names = fixtures.map(([file]) => file);
    expect(names).toEqual(expect.arrayContaining(['forge-docs-commit-push.json', 'forge-docs-tag-push.json']));
    for (const [file, event] of fixtures.filter(([name]) => /^forge-docs-.*push/.test(name))) {
      expect({ file, ref: parsePushEvent(event).ref.type }).toEqual({ file, ref: file.includes('tag') ? 'tag' : 'branch' });
    }
  });

  it("holds the docs' example pull request and build status events too (the reference's mergeCommit is optional, as its declined example has none)", () => {
    const kinds = fixtures.filter(([file]) => /^forge-docs-(pullrequest|build-status)/.test(file)).map(([, event]) => event.eventType);
    expect(kinds.sort()).toEqual([
      'avi:bitbucket:fulfilled:pullrequest',
      'avi:bitbucket:rejected:pullrequest',
      'avi:bitbucket:updated:build-status',
    ]);
  });

  it('refuses what Forge never sends: a guessed mainbranch, a field it does not list, a commit author as a name', () => {
    expect(documentedShapeProblems(makePushEvent({ push: { mainbranch: 'main' } }))).not.toEqual([]);
    expect(documentedShapeProblems({ ...makePushEvent(), deliveryId: 'x' } as { eventType: string })).not.toEqual([]);
    const named = { ...commitOf(hashOf(1), 'x'), author: { raw: 'Ada <ada@example.com>' } };
    expect(documentedShapeProblems(makePushEvent({ push: { commits: [named] } }))).not.toEqual([]);
  });

  it('holds the events the test fixtures build (makePushEvent, the fault scenario)', () => {
    const made = [
      makePushEvent(),
      makePushEvent({ push: { ref: 'release/1', before: null, created: true, commits: [] } }),
      makePushEvent({ push: { commits: [commitOf(hashOf(2), 'x')], after: hashOf(2) } }),
    ];
    const traffic = planTraffic({ repositories: 3, pushes: 60, sessions: 1, wavesPerSession: 3 }, seededRandom(1));
    const stamped = traffic.pushes.map((push) => ({ ...push.event, timestamp: '2026-11-20T10:16:00.000000Z' }));
    for (const event of [...made, ...stamped]) expect(documentedShapeProblems(event)).toEqual([]);
  });

  it('holds the events the Bitbucket stand-in emits for a push, a new branch and a later push', () => {
    const bitbucket = createBitbucketStandIn();
    const actor = { accountId: '557058:admin-0001', uuid: '{0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f}' };
    const first = bitbucket.push('acme/web', { ref: 'main', messages: ['One', 'Two'], actor, timestamp: '2026-11-20T10:16:00.000000Z' });
    const branch = bitbucket.push('acme/web', { ref: 'feature/x', messages: ['Three'], actor, timestamp: '2026-11-20T10:17:00.000000Z' });
    for (const event of [first, branch]) expect(pushEventSchema.safeParse(event).error?.issues ?? []).toEqual([]);
    expect(first.push).toMatchObject({ ref: 'main', mainbranch: true, created: false });
    expect(branch.push).toMatchObject({ ref: 'feature/x', mainbranch: false, created: true });
    expect(bitbucket.branchHead('acme/web', 'feature/x')).toBe((branch.push as { after: string }).after);
  });
});
