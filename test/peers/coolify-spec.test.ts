import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECS_DIR } from './processes';

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: { name: string; in: string; schema?: { type: string } }[]; security?: Record<string, unknown>[] } | undefined
    >
  >;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'coolify-openapi.json'), 'utf8')) as OpenApi;

describe("Coolify's OpenAPI spec", () => {
  it('has the calls the provider makes, with uuid and force as query parameters and a bearer token', () => {
    const deploy = spec.paths['/deploy']?.post;
    expect(deploy?.parameters?.filter((p) => ['uuid', 'force'].includes(p.name)).map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:uuid',
      'query:force',
    ]);
    expect(deploy?.security).toEqual([{ bearerAuth: [] }]);
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(spec.paths['/deployments/{uuid}']?.get).toBeDefined();
    expect(spec.paths['/applications/{uuid}']?.get).toBeDefined();
  });

  it('has the preview calls: the deploy’s integer pr parameter and the delete of one pull request’s preview', () => {
    expect(spec.paths['/deploy']?.post?.parameters?.find((p) => p.name === 'pr')).toMatchObject({
      in: 'query',
      schema: { type: 'integer' },
    });
    const remove = spec.paths['/applications/{uuid}/previews/{pull_request_id}']?.delete;
    expect(remove?.parameters?.map((p) => `${p.in}:${p.name}:${p.schema?.type}`)).toEqual([
      'path:uuid:string',
      'path:pull_request_id:integer',
    ]);
    expect(remove?.security).toEqual([{ bearerAuth: [] }]);
  });
});
