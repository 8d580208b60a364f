import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UPSUN_ACTIVITY_STATES, UPSUN_COMPLETE_RESULTS } from '../../src/providers/upsun/states';
import { SPECS_DIR } from './processes';

interface OpenApi {
  paths: Record<string, { post?: { requestBody?: { content: { 'application/json': { schema: { $ref: string } } } } } }>;
  components: {
    schemas: Record<string, { properties: Record<string, { enum?: string[] }>; required?: string[]; additionalProperties?: boolean }>;
  };
}

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'upsun-openapispec-upsun.json'), 'utf8')) as OpenApi;
const ENVIRONMENT = '/projects/{projectId}/environments/{environmentId}';
/** The schema a path's POST body refers to. */
const inputOf = (path: string) =>
  spec.components.schemas[spec.paths[path]?.post?.requestBody?.content['application/json'].schema.$ref.split('/').pop() ?? ''];

describe("Upsun's OpenAPI spec", () => {
  it('takes the bodies the provider sends: none to redeploy, a rolling or stopstart strategy to deploy, an operation name to run', () => {
    expect(spec.paths[`${ENVIRONMENT}/redeploy`]?.post).toBeDefined();
    expect(spec.paths[`${ENVIRONMENT}/redeploy`]?.post?.requestBody).toBeUndefined();
    expect(inputOf(`${ENVIRONMENT}/deploy`)?.properties.strategy?.enum).toEqual(['rolling', 'stopstart']);
    expect(inputOf(`${ENVIRONMENT}/source-operation`)?.required).toEqual(['operation']);
  });

  it('takes the preview’s environment actions: an empty body to activate, none to resume or deactivate, and the environment statuses the preview reads', () => {
    const activate = inputOf(`${ENVIRONMENT}/activate`);
    expect([activate?.required, activate?.additionalProperties, Object.keys(activate?.properties ?? {})]).toEqual([
      undefined,
      false,
      ['resources'],
    ]);
    for (const action of ['resume', 'deactivate']) {
      expect(spec.paths[`${ENVIRONMENT}/${action}`]?.post).toBeDefined();
      expect(spec.paths[`${ENVIRONMENT}/${action}`]?.post?.requestBody).toBeUndefined();
    }
    expect(spec.components.schemas.Environment?.properties.status?.enum).toEqual(['active', 'deleting', 'dirty', 'inactive', 'paused']);
  });

  it('lists exactly the activity states and results the provider maps', () => {
    expect(spec.components.schemas.Activity?.properties.state?.enum?.sort()).toEqual([...UPSUN_ACTIVITY_STATES.keys(), 'complete'].sort());
    expect(spec.components.schemas.Activity?.properties.result?.enum?.sort()).toEqual([...UPSUN_COMPLETE_RESULTS.keys()].sort());
  });
});
