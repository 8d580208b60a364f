// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { EgressRecord } from '../../local/platform';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';
import { PEER_TIMEOUT_MS, SPECS_DIR } from './processes';

/**
 * Heroku publishes a JSON hyper-schema (draft-04 with interagent's extensions), not OpenAPI, so there
 * is no Prism for it: the app's real requests go through the local platform to a loopback server
 * standing in for api.heroku.com, and what they carry is checked with ajv against
 * `definitions.build` of heroku-platform-api-schema.json, every $ref resolved within that document.
 */
interface Link {
  title: string;
  method: string;
  href: string;
  schema?: object;
}
interface HyperSchema {
  definitions: Record<string, { links: Link[] }>;
}

const document = JSON.parse(readFileSync(path.join(SPECS_DIR, 'heroku-platform-api-schema.json'), 'utf8')) as HyperSchema & {
  $schema?: string;
  id?: string;
};

// The review app's config_vars name their keys by `^[\w\.\:\[\]]+$`, whose escapes a unicode RegExp refuses.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
// interagent's strictProperties (github.com/interagent/prmd, docs/schemata.md): an object may carry
// only the properties its schema lists. ajv does not know the keyword, so it is defined here.
ajv.addKeyword({
  keyword: 'strictProperties',
  schemaType: 'boolean',
  validate: (strict: boolean, data: unknown, parent?: { properties?: object }) =>
    !strict || typeof data !== 'object' || data === null || Object.keys(data).every((key) => Object.hasOwn(parent?.properties ?? {}, key)),
});
// The document names interagent's meta-schema, which ajv cannot fetch, and a draft-04 `id`, which ajv 8
// refuses; every $ref in it is local (`#/definitions/…`), so both go and ajv reads the rest as draft-07.
const { $schema: _metaSchema, id: _id, ...schema } = document;
ajv.addSchema(schema, 'heroku');

const link = (resource: string, title: string): Link => {
  const found = document.definitions[resource]?.links.find((l) => l.title === title);
  if (!found) throw new Error(`no "${title}" link on ${resource}`);
  return found;
};
const compiled = (pointer: string): ValidateFunction => {
  const validate = ajv.getSchema(`heroku#${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return validate;
};
const buildLinks = document.definitions.build?.links ?? [];
const createBuild = compiled(`/definitions/build/links/${buildLinks.findIndex((l) => l.title === 'Create')}/schema`);
const reviewAppLinks = document.definitions['review-app']?.links ?? [];
const createReviewApp = compiled(`/definitions/review-app/links/${reviewAppLinks.findIndex((l) => l.title === 'Create')}/schema`);

/** Problems with a request against a link: its method, and each `{(#/pointer)}` of its href checked against the schema it names. */
function againstLink(request: EgressRecord, target: Link): string[] {
  const pattern = target.href
    .split(/\{\(.+?\)\}/)
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('([^/]+)');
  const match = new RegExp(`^${pattern}$`).exec(new URL(request.url).pathname);
  if (request.method !== target.method || !match) return [`${request.method} ${request.url} is not ${target.method} ${target.href}`];
  const pointers = [...target.href.matchAll(/\{\((.+?)\)\}/g)].map((m) => decodeURIComponent(m[1] ?? '').slice(1));
  return pointers.flatMap((pointer, i) => {
    const validate = compiled(pointer);
    return validate(decodeURIComponent(match[i + 1] ?? '')) ? [] : [`${pointer}: ${ajv.errorsText(validate.errors)}`];
  });
}

const APP = 'acme-web-staging';
const BUILD_ID = '01234567-89ab-cdef-0123-456789abcdef';
const API_KEY = 'heroku-contract-test-key';

jest.setTimeout(PEER_TIMEOUT_MS);

const PIPELINE = '2f3e7a1c-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const REVIEW_APP = '9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a';
/** The pipeline's review apps, as the stand-in keeps them: made by a create, marked deleting by a delete. */
let reviewApps: { id: string; status: string; pr_number: number; app: { id: string } | null }[] = [];

const answer = (seen: Seen): Reply => {
  if (seen.path === `/pipelines/${PIPELINE}/review-apps`) return { status: 200, body: reviewApps };
  if (seen.path === '/review-apps') {
    const made = { id: REVIEW_APP, status: 'pending', pr_number: (JSON.parse(seen.body) as { pr_number: number }).pr_number, app: null };
    reviewApps = [made];
    return { status: 201, body: made };
  }
  if (seen.path === `/review-apps/${REVIEW_APP}`) {
    reviewApps = reviewApps.map((app) => ({ ...app, status: seen.method === 'DELETE' ? 'deleting' : 'created', app: { id: BUILD_ID } }));
    return { status: 200, body: reviewApps[0] };
  }
  if (seen.method === 'POST') return { status: 201, body: { id: BUILD_ID, status: 'pending' } };
  if (seen.path.includes('/builds/')) return { status: 200, body: { id: BUILD_ID, status: 'succeeded' } };
  return { status: 200, body: { id: '76543210-89ab-cdef-0123-456789abcdef', name: APP } };
};
const heroku = loopbackVendor(answer);

let relay: RelayOnPeers;
beforeAll(async () => {
  relay = startRelay({ routes: { 'api.heroku.com': heroku.base } });
  await relay.configure([
    {
      target: targetFor('heroku', 'heroku-staging', {
        app: APP,
        sourceUrlTemplate: 'https://archive.example.com/{repository}/{commit}.tar.gz?token={token}',
      }),
      secrets: { apiKey: API_KEY, archiveToken: 'archive-token/with+chars' },
    },
  ]);
});
afterAll(async () => {
  await relay?.close();
});

describe('the Heroku provider’s requests, against Heroku’s platform API schema', () => {
  it('creates a build whose body the schema’s build Create link accepts, on the path and with the headers it names', async () => {
    const [record] = await relay.push();
    const create = relay.platform.egressLog.find((r) => r.method === 'POST');
    if (!create) throw new Error('no build was created');
    const body = JSON.parse(create.body ?? '') as unknown;
    expect(createBuild(body) ? [] : createBuild.errors).toEqual([]);
    expect(againstLink(create, link('build', 'Create'))).toEqual([]);
    // providers.md: the Platform API's version 3 is asked for in Accept.
    expect(create.headers).toMatchObject({
      accept: 'application/vnd.heroku+json; version=3',
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
    });
    expect(body).toEqual({
      source_blob: {
        url: `https://archive.example.com/acme/web/${record?.commit.hash}.tar.gz?token=archive-token%2Fwith%2Bchars`,
        version: record?.commit.hash,
        version_description: expect.stringMatching(/^Contract test push/),
      },
    });
  });

  it('has a schema with teeth: it refuses a build without source_blob, and a source_blob field it does not list', () => {
    expect(createBuild({})).toBe(false);
    expect(ajv.errorsText(createBuild.errors)).toContain("must have required property 'source_blob'");
    expect(createBuild({ source_blob: { url: 'https://example.com/a.tgz', commit: 'abc' } })).toBe(false);
    expect(ajv.errorsText(createBuild.errors)).toContain('must pass "strictProperties" keyword validation');
  });

  it('reads the build it started on the path of the schema’s build Info link, with a build id the schema accepts', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    await expect(relay.follow(record)).resolves.toMatchObject({ state: 'succeeded' });
    const [read, ...more] = relay.platform.egressLog;
    expect(more).toEqual([]);
    expect(read && againstLink(read, link('build', 'Info'))).toEqual([]);
  });

  it('verifies the key by reading the app on the path of the schema’s app Info link, with an app name the schema accepts', async () => {
    relay.platform.egressLog.length = 0;
    await expect(relay.verify('heroku-staging')).resolves.toMatchObject({ ok: true });
    const [read, ...more] = relay.platform.egressLog;
    expect(more).toEqual([]);
    expect(read && againstLink(read, link('app', 'Info'))).toEqual([]);
  });

  it('previews a pull request as a review app, followed and deleted on decline, in requests the schema’s review-app links accept', async () => {
    await relay.configure([
      {
        target: {
          ...targetFor('heroku', 'heroku-previews', {
            app: APP,
            sourceUrlTemplate: 'https://archive.example.com/{repository}/{commit}.tar.gz',
            pipeline: PIPELINE,
          }),
          preview: { allowForks: false },
        },
        secrets: { apiKey: API_KEY },
      },
    ]);
    relay.platform.egressLog.length = 0;
    const opened = await relay.pullRequest({ open: 'feature/review-app' });
    const calls = relay.platform.egressLog.filter((r) => r.url.startsWith('https://api.heroku.com/'));
    expect(calls.map((r) => `${r.method} ${new URL(r.url).pathname} -> ${r.status}`)).toEqual([
      `GET /pipelines/${PIPELINE}/review-apps -> 200`,
      'POST /review-apps -> 201',
      `GET /review-apps/${REVIEW_APP} -> 200`,
    ]);
    const [list, create, read] = calls;
    const body = JSON.parse(create?.body ?? '') as unknown;
    expect(createReviewApp(body) ? [] : createReviewApp.errors).toEqual([]);
    expect(body).toMatchObject({ branch: 'feature/review-app', pipeline: PIPELINE, pr_number: opened.id });
    expect(
      [list, create, read].flatMap((r, i) =>
        r ? againstLink(r, link('review-app', ['List', 'Create', 'Get review app'][i] ?? '')) : ['missing'],
      ),
    ).toEqual([]);
    expect(opened.records.map((r) => [r.preview?.action, r.state, r.vendorId])).toEqual([
      ['deploy', 'succeeded', `review-app:${REVIEW_APP}`],
    ]);

    relay.platform.egressLog.length = 0;
    const declined = await relay.pullRequest({ decline: opened.id });
    const removal = relay.platform.egressLog.filter((r) => r.url.startsWith('https://api.heroku.com/'));
    expect(removal.map((r) => `${r.method} ${new URL(r.url).pathname} -> ${r.status}`)).toEqual([
      `GET /pipelines/${PIPELINE}/review-apps -> 200`,
      `DELETE /review-apps/${REVIEW_APP} -> 200`,
    ]);
    expect(removal[1] && againstLink(removal[1], link('review-app', 'Delete'))).toEqual([]);
    expect(declined.records[0]).toMatchObject({ state: 'succeeded', preview: { action: 'teardown' } });
  });
});
