// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { z } from 'zod';
import type { EgressRecord } from '../../local/platform';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';
import { PEER_TIMEOUT_MS } from './processes';

/**
 * Render and Vercel publish no spec file: their contracts are the rows of ../shared/docs/providers.md,
 * written out below as zod schemas of a request (method, URL, credential, JSON body). The app's real
 * requests go through the local platform to a loopback server standing in for both hosts, and every
 * request it sends there must be one the documented contract describes.
 */
const request = <B extends z.ZodType>(method: z.ZodType<string>, url: RegExp, authorization: z.ZodType<string | undefined>, body: B) =>
  z.object({ method, url: z.string().regex(url), authorization, body });

const bearer = z.string().regex(/^Bearer \S+$/);
const none = z.undefined();

/** providers.md, the Render row. */
const RENDER = {
  // "Hook: `GET` or `POST https://api.render.com/deploy/srv-<id>?key=<key>`" (credential: "hook key in URL").
  hook: request(z.enum(['GET', 'POST']), /^https:\/\/api\.render\.com\/deploy\/srv-[a-z0-9]+\?key=[^&]+$/, none, z.unknown()),
  // "API: `POST https://api.render.com/v1/services/{serviceId}/deploys`, body optional `{clearCache: "clear"|"do_not_clear", commitId}`"
  // (credential: "`Authorization: Bearer <api key>`").
  deploy: request(
    z.literal('POST'),
    /^https:\/\/api\.render\.com\/v1\/services\/srv-[a-z0-9]+\/deploys$/,
    bearer,
    z
      .strictObject({
        clearCache: z.enum(['clear', 'do_not_clear']).optional(),
        commitId: z
          .string()
          .regex(/^[0-9a-f]{40}$/)
          .optional(),
      })
      .optional(),
  ),
  // "`GET /v1/services/{serviceId}/deploys/{deployId}` → `status`"
  status: request(z.literal('GET'), /^https:\/\/api\.render\.com\/v1\/services\/srv-[a-z0-9]+\/deploys\/[^/?]+$/, bearer, none),
};

/** providers.md, the Vercel row. */
const VERCEL = {
  // "Hook: `GET` or `POST https://api.vercel.com/v1/integrations/deploy/prj_<project>/<hook>`, no auth, no body".
  hook: request(z.enum(['GET', 'POST']), /^https:\/\/api\.vercel\.com\/v1\/integrations\/deploy\/prj_[A-Za-z0-9]+\/[^/?]+$/, none, none),
  // "API: `POST /v13/deployments` with `{name, gitSource: {type: "bitbucket", ref, sha, workspaceUuid, repoUuid}}`" (credential:
  // "bearer token"). The row names what the request must hold; gitSource is given whole, the top level is left open.
  deploy: request(
    z.literal('POST'),
    /^https:\/\/api\.vercel\.com\/v13\/deployments(\?teamId=team_[A-Za-z0-9]+)?$/,
    bearer,
    z.object({
      name: z.string().min(1),
      gitSource: z.strictObject({
        type: z.literal('bitbucket'),
        ref: z.string().min(1),
        sha: z.string().regex(/^[0-9a-f]{40}$/),
        workspaceUuid: z.string(),
        repoUuid: z.string(),
      }),
    }),
  ),
  // "`GET /v13/deployments/{id}` → `readyState`"
  status: request(z.literal('GET'), /^https:\/\/api\.vercel\.com\/v13\/deployments\/[^/?]+(\?teamId=team_[A-Za-z0-9]+)?$/, bearer, none),
};

const CONTRACTS = { render: RENDER, vercel: VERCEL };

/** Which documented calls a logged request is, by name (`render.deploy`); none means it matches no row. */
function documentedAs(record: EgressRecord): string[] {
  const shape = {
    method: record.method,
    url: record.url,
    authorization: record.headers.authorization,
    body: record.body === undefined ? undefined : JSON.parse(record.body),
  };
  return Object.entries(CONTRACTS).flatMap(([vendor, calls]) =>
    Object.entries(calls).flatMap(([call, schema]) => (schema.safeParse(shape).success ? [`${vendor}.${call}`] : [])),
  );
}

const answer = (seen: Seen): Reply => {
  if (seen.path.startsWith('/v1/services/'))
    return {
      status: seen.method === 'POST' ? 201 : 200,
      body: { id: 'dep-c0ntract', status: seen.method === 'POST' ? 'created' : 'live' },
    };
  if (seen.path.startsWith('/v13/deployments'))
    return {
      status: 200,
      body: { id: 'dpl_c0ntract', url: 'web-c0ntract.vercel.app', readyState: seen.method === 'POST' ? 'QUEUED' : 'READY' },
    };
  return { status: 200, body: { job: { id: 'hook-job', state: 'PENDING' } } };
};
const vendor = loopbackVendor(answer);

jest.setTimeout(PEER_TIMEOUT_MS);

const BRACED_UUID = /^\{[0-9a-f-]{36}\}$/;
let relay: RelayOnPeers;
beforeAll(async () => {
  relay = startRelay({ routes: { 'api.render.com': vendor.base, 'api.vercel.com': vendor.base } });
  await relay.configure([
    {
      target: targetFor('render', 'render-hook', { mode: 'hook' }),
      secrets: { hookUrl: 'https://api.render.com/deploy/srv-c0ntract1?key=render-hook-key' },
    },
    {
      target: targetFor('render', 'render-api', { mode: 'api', serviceId: 'srv-c0ntract1' }),
      secrets: { apiKey: 'rnd_contract-test-key' },
    },
    {
      target: targetFor('vercel', 'vercel-hook', { mode: 'hook' }),
      secrets: { hookUrl: 'https://api.vercel.com/v1/integrations/deploy/prj_C0ntract/hookSecret1' },
    },
    {
      target: targetFor('vercel', 'vercel-api', { mode: 'api', project: 'web', teamId: 'team_C0ntract' }),
      secrets: { token: 'vercel-contract-test-token' },
    },
  ]);
});
afterAll(async () => {
  await relay?.close();
});

describe('Render and Vercel requests, against the contracts written in providers.md', () => {
  it('starts each deploy, by hook and by API, with a request the documented contract describes', async () => {
    const records = await relay.push();
    expect(relay.platform.egressLog.filter((r) => documentedAs(r).length === 0).map((r) => `${r.method} ${r.url} ${r.body ?? ''}`)).toEqual(
      [],
    );
    const starts = relay.platform.egressLog.filter((r) => r.method === 'POST').map(documentedAs);
    expect(starts.sort()).toEqual([['render.deploy'], ['render.hook'], ['vercel.deploy'], ['vercel.hook']]);
    const renderBody = JSON.parse(relay.platform.egressLog.find((r) => documentedAs(r)[0] === 'render.deploy')?.body ?? '{}') as {
      commitId?: string;
    };
    const vercelBody = JSON.parse(relay.platform.egressLog.find((r) => documentedAs(r)[0] === 'vercel.deploy')?.body ?? '{}') as {
      gitSource?: Record<string, string>;
    };
    const hash = records[0]?.commit.hash;
    // The API forms deploy this exact commit (providers.md: "`commitId` sent when known"; gitSource's sha).
    expect(renderBody.commitId).toBe(hash);
    expect(vercelBody.gitSource).toMatchObject({
      ref: 'main',
      sha: hash,
      repoUuid: expect.stringMatching(BRACED_UUID),
      workspaceUuid: expect.stringMatching(BRACED_UUID),
    });
  });

  it('reads a Render and a Vercel deploy’s state with the documented GET', async () => {
    const records = await relay.push();
    relay.platform.egressLog.length = 0;
    for (const record of records.filter((r) => r.target.id.endsWith('-api'))) await relay.follow(record);
    expect(relay.platform.egressLog.map(documentedAs).sort()).toEqual([['render.status'], ['vercel.status']]);
  });

  it('has contracts with teeth: a hook call with a credential header, or a gitSource of another type, is none of them', () => {
    const hook = {
      method: 'POST',
      url: 'https://api.vercel.com/v1/integrations/deploy/prj_C0ntract/hookSecret1',
      headers: { authorization: 'Bearer x' },
    };
    expect(documentedAs(hook)).toEqual([]);
    const gitlab = {
      method: 'POST',
      url: 'https://api.vercel.com/v13/deployments',
      headers: { authorization: 'Bearer x' },
      body: JSON.stringify({
        name: 'web',
        gitSource: { type: 'gitlab', ref: 'main', sha: 'a'.repeat(40), workspaceUuid: '{w}', repoUuid: '{r}' },
      }),
    };
    expect(documentedAs(gitlab)).toEqual([]);
  });
});
