import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { PHASES } from '../../src/providers/digitalocean/states';
import { appResponseSchema, deploymentResponseSchema } from '../../src/providers/digitalocean/wire';
import { appAnswer, failedDeploymentAnswer, pendingDeploymentAnswer } from '../fixtures/vendors/digitalocean';
import { SPECS_DIR } from './processes';

interface OpenApi {
  components: { schemas: Record<string, { enum?: string[] }>; examples: Record<string, { value: unknown }> };
}

const spec = parse(readFileSync(join(SPECS_DIR, 'digitalocean-apps.openapi3.yaml'), 'utf8')) as OpenApi;
const example = (name: string): unknown => spec.components.examples[name]?.value;

/** The JSON type of every leaf, so a fixture and the vendor's example compare by shape, not by value. */
const shapeOf = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, shapeOf(field)]));
  return typeof value;
};

/**
 * The spec's schemas with `additionalProperties: false` on every object that lists its properties: the
 * vendor's objects are open, so without this a fixture field DigitalOcean does not have (a typo, a field
 * it renamed) would pass unseen. A schema that sets additionalProperties itself keeps its own.
 */
const closed = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(closed);
  if (node === null || typeof node !== 'object') return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, child]) => [key, closed(child)]));
  return 'properties' in copy && !('additionalProperties' in copy) ? { additionalProperties: false, ...copy } : copy;
};

// OpenAPI 3.0 schemas carry keywords JSON Schema lacks (example, nullable), so not strict; its number
// formats give a width JSON cannot check, so they accept any number instead of warning on every compile.
const NUMBER_FORMATS = ['int32', 'int64', 'uint32', 'uint64', 'float', 'double'];
const ajv = addFormats(
  new Ajv({ strict: false, allErrors: true, formats: Object.fromEntries(NUMBER_FORMATS.map((format) => [format, true])) }),
);
ajv.addSchema({ components: { schemas: closed(spec.components.schemas) } }, 'digitalocean');
const violations = (schema: string, value: unknown): string[] => {
  const validate = ajv.getSchema(`digitalocean#/components/schemas/${schema}`);
  if (!validate) throw new Error(`digitalocean-apps.openapi3.yaml has no schema ${schema}`);
  return validate(value)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
};

describe("DigitalOcean's App Platform spec", () => {
  it.each([
    ['deployment', deploymentResponseSchema, pendingDeploymentAnswer],
    ['app', appResponseSchema, appAnswer],
  ] as const)('has an example %s that our wire schema reads into the same fields and types as our fixture', (name, wire, fixture) => {
    expect(shapeOf(wire.parse(example(name)))).toEqual(shapeOf(wire.parse(fixture)));
  });

  it.each([
    ['pending deployment', 'apps_deployment_response', pendingDeploymentAnswer],
    ['failed deployment', 'apps_deployment_response', failedDeploymentAnswer],
    ['app', 'app_response', appAnswer],
  ])('declares every field of our %s fixture, with the type and values it allows', (_what, schema, fixture) => {
    expect(violations(schema, fixture)).toEqual([]);
  });

  it('lists exactly the deployment phases our state table maps', () => {
    expect(Object.keys(PHASES).sort()).toEqual([...(spec.components.schemas.apps_deployment_phase?.enum ?? [])].sort());
  });
});
