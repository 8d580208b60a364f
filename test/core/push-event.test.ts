import { parsePushEvent } from '../../src/core/push-event';
import { InvalidInputError } from '../../src/core/errors';
import { commitOf, makePushEvent } from '../fixtures/events';
import branchPush from '../fixtures/events/branch-push.json';
import deletedBranch from '../fixtures/events/deleted-branch.json';
import tagPush from '../fixtures/events/tag-push.json';
import truncatedPush from '../fixtures/events/truncated-push.json';
import docsCommitPush from '../fixtures/events/forge-docs-commit-push.json';
import docsTagPush from '../fixtures/events/forge-docs-tag-push.json';

describe('parsePushEvent', () => {
  it('reads a branch push: ref, head commit, actor and time', () => {
    const push = parsePushEvent(branchPush);
    expect(push.ref).toEqual({ name: 'main', type: 'branch' });
    expect(push.after).toBe(branchPush.push.after);
    expect(push.head).toMatchObject({
      hash: branchPush.push.after,
      message: 'Add checkout page\n\nWith tests.',
      authorAccountId: '557058:admin-0001',
    });
    expect(push.actor.accountId).toBe('557058:admin-0001');
    expect(push.timestamp).toBe('2026-11-20T10:15:02.123Z');
    expect(push.mainbranch).toBe(true);
  });

  it('tells a tag push by its missing commits and takes the tag message as the head message', () => {
    const push = parsePushEvent(tagPush);
    expect(push.ref).toEqual({ name: 'v1.2.0', type: 'tag' });
    expect(push.head?.message).toBe('Release 1.2.0\n');
    expect(push.mainbranch).toBeNull();
  });

  it("reads the Forge docs' own example push (mainbranch: true, no `before`, microsecond timestamp)", () => {
    const push = parsePushEvent(docsCommitPush);
    expect(push).toMatchObject({
      ref: { name: 'main', type: 'branch' },
      mainbranch: true,
      before: null,
      after: 'a37e0ad81173c7f6707d6b9f74dab4ce9938064d',
      created: true,
      timestamp: '2026-03-23T06:03:12.361017Z',
      selfGenerated: false,
      head: { message: 'Initial commit', authorAccountId: '5ffed3379edf280075d75b20' },
    });
  });

  it("reads the Forge docs' own example tag push, though its ref is called main", () => {
    const push = parsePushEvent(docsTagPush);
    expect(push).toMatchObject({ ref: { name: 'main', type: 'tag' }, mainbranch: null, head: { message: 'Release version 1.0\n' } });
  });

  it('refuses a guessed mainbranch: the reference types it boolean', () => {
    expect(() => parsePushEvent(makePushEvent({ push: { mainbranch: 'main' } }))).toThrow(/push\.mainbranch: .*boolean/);
  });

  it('reads a null before as absent, as the reference typed it before', () => {
    const event = { ...makePushEvent(), push: { ...makePushEvent().push, before: null, created: true } };
    expect(parsePushEvent(event).before).toBeNull();
  });

  it('reads a deleted branch as closed with nothing to deploy', () => {
    const push = parsePushEvent(deletedBranch);
    expect(push.closed).toBe(true);
    expect(push.after).toBeNull();
  });

  it('keeps the truncated flag and picks the commit that is `after`', () => {
    const push = parsePushEvent(truncatedPush);
    expect(push.truncated).toBe(true);
    expect(push.head?.hash).toBe(truncatedPush.push.after);
  });

  it('refuses UUIDs without braces, naming the field', () => {
    const event = makePushEvent({ repository: { uuid: '3e5f7a9b-1c2d-4e6f-8a0b-2c4d6e8f0a12' } });
    expect(() => parsePushEvent(event)).toThrow(/repository\.uuid: must be a UUID in braces/);
  });

  it('refuses a branch push with a bad commit hash instead of reading it as a tag', () => {
    const event = makePushEvent({ push: { commits: [{ ...commitOf('a1'.repeat(20), 'x'), hash: 'nope' }] } });
    expect(() => parsePushEvent(event)).toThrow(/push\.commits\.0\.hash: must be a 40-character commit hash/);
  });

  it('refuses an open ref without `after`', () => {
    const event = makePushEvent({ push: { after: undefined } });
    expect(() => parsePushEvent(event)).toThrow('push.after is required unless the ref was deleted');
  });

  it('refuses control characters in a ref name', () => {
    expect(() => parsePushEvent(makePushEvent({ push: { ref: 'main\u0000evil' } }))).toThrow(
      /push\.ref: must not contain control characters/,
    );
  });

  it('throws InvalidInputError with code INVALID_EVENT and every issue listed', () => {
    try {
      parsePushEvent({ eventType: 'avi:bitbucket:push:repository' });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).code).toBe('INVALID_EVENT');
      expect((error as InvalidInputError).issues.length).toBeGreaterThanOrEqual(3);
    }
  });
});
