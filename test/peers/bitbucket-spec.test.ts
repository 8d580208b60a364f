import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { createBitbucketStandIn } from '../../local/bitbucket';
import { SPECS_DIR } from './processes';

/**
 * The Bitbucket stand-in's answers to the calls previews make (`GET …/pullrequests/{id}`, `GET
 * …/commit/{commit}`) against the response schemas of Bitbucket's own OpenAPI spec, and the fields
 * src/forge/bitbucket.ts reads from them named by that spec: the stand-in is never the only word on
 * what Bitbucket answers.
 */

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
}
const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'bitbucket-cloud.openapi3.json'), 'utf8')) as {
  components: { schemas: Record<string, Schema> };
};

// OpenAPI 3.0 keywords JSON Schema lacks (discriminator, example) are let through.
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema({ components: spec.components }, 'bitbucket');
const violations = (schema: string, value: unknown): string[] => {
  const validate = ajv.getSchema(`bitbucket#/components/schemas/${schema}`);
  if (!validate) throw new Error(`bitbucket-cloud.openapi3.json has no schema ${schema}`);
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
};

/** Whether the spec's schema has the property path (through its allOf parts and $refs). */
function specHas(schema: string, path: readonly string[]): boolean {
  const resolve = (node: Schema): Schema[] => {
    if (node.$ref) return resolve(spec.components.schemas[node.$ref.replace('#/components/schemas/', '')] as Schema);
    return [node, ...(node.allOf ?? []).flatMap(resolve)];
  };
  let nodes = resolve(spec.components.schemas[schema] as Schema);
  for (const key of path) {
    nodes = nodes.flatMap((node) => (node.properties?.[key] ? resolve(node.properties[key] as Schema) : []));
    if (nodes.length === 0) return false;
  }
  return true;
}

const ADA = { accountId: '557058:admin-0001', uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}' };

describe("the stand-in's pull requests and commits, against Bitbucket's spec", () => {
  const bitbucket = createBitbucketStandIn();
  bitbucket.push('acme/web', { ref: 'feature/login', messages: ['Log in'], actor: ADA, timestamp: '2026-11-20T10:17:01.000000Z' });
  const event = bitbucket.openPullRequest('acme/web', {
    title: 'Log in with SSO',
    source: 'feature/login',
    destination: 'main',
    authorAccountId: ADA.accountId,
    timestamp: '2026-11-20T10:17:02.000000Z',
  });
  const get = async (path: string): Promise<unknown> => {
    const response = await bitbucket.handle('GET', `/2.0/repositories/acme/web/${path}`, undefined, { asUser: false });
    expect(response.status).toBe(200);
    return response.json();
  };

  it('answers GET …/pullrequests/{id} as the spec’s pullrequest, with the source repository the app reads', async () => {
    expect(violations('pullrequest', await get('pullrequests/1'))).toEqual([]);
    for (const path of [
      ['source', 'repository', 'uuid'],
      ['source', 'repository', 'full_name'],
      ['source', 'commit', 'hash'],
    ])
      expect({ path, inSpec: specHas('pullrequest', path) }).toEqual({ path, inSpec: true });
  });

  it('answers GET …/commit/{short hash} as the spec’s commit, with the full hash, message, author and date the app reads', async () => {
    const commit = (await get(`commit/${event.pullrequest.source.commit.hash}`)) as { hash: string };
    expect(violations('commit', commit)).toEqual([]);
    expect(commit.hash).toMatch(new RegExp(`^${event.pullrequest.source.commit.hash}[0-9a-f]{28}$`));
    for (const path of [['hash'], ['message'], ['date'], ['author', 'raw']])
      expect({ path, inSpec: specHas('commit', path) }).toEqual({ path, inSpec: true });
  });
});
