import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dokployDeployRequests } from '../fixtures/vendors/dokploy';
import { SPECS_DIR } from './processes';

interface OpenApi {
  paths: Record<
    string,
    { post?: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[] } } } } } }
  >;
  components: { securitySchemes: { apiKey: { in: string; name: string } } };
}

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'dokploy-openapi.json'), 'utf8')) as OpenApi;

describe("Dokploy's OpenAPI spec", () => {
  it('takes the API key in the x-api-key header, where the provider sends it', () => {
    expect(spec.components.securitySchemes.apiKey).toMatchObject({ in: 'header', name: 'x-api-key' });
  });

  it.each(Object.entries(dokployDeployRequests))(
    'lists exactly the fields the provider sends to %s, and each required one is filled',
    (path, body: Record<string, unknown>) => {
      const schema = spec.paths[path]?.post?.requestBody.content['application/json'].schema;
      expect(Object.keys(body).sort()).toEqual(Object.keys(schema?.properties ?? {}).sort());
      expect(schema?.required.every((key) => typeof body[key] === 'string' && body[key] !== '')).toBe(true);
    },
  );
});
