import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEROKU_BUILD_STATES, HEROKU_REVIEW_APP_STATES } from '../../src/providers/heroku/states';
import { herokuBuildRequest, herokuReviewAppRequest } from '../fixtures/vendors/heroku';
import { SPECS_DIR } from './processes';

interface Resource {
  links: { title: string; method: string; href: string; schema: { required: string[]; properties: Record<string, unknown> } }[];
  definitions: { source_blob: { strictProperties: boolean; properties: Record<string, unknown> }; status: { enum: string[] } };
}
/** The parts of Heroku's JSON hyper-schema (not OpenAPI) that describe builds and review apps. */
interface HerokuSchema {
  definitions: { build: Resource; 'review-app': Resource };
}

const schema = JSON.parse(readFileSync(join(SPECS_DIR, 'heroku-platform-api-schema.json'), 'utf8')) as HerokuSchema;

describe("Heroku's Platform API schema", () => {
  it('accepts the build the provider creates: the create link takes a POST of only the fields it lists', () => {
    const create = schema.definitions.build.links.find((link) => link.title === 'Create');
    const blob = schema.definitions.build.definitions.source_blob;
    expect(create?.method).toBe('POST');
    expect(create?.schema.required).toEqual(['source_blob']);
    expect(Object.keys(herokuBuildRequest).every((key) => key in (create?.schema.properties ?? {}))).toBe(true);
    // source_blob is strictProperties: only the keys it lists may be sent.
    expect(blob.strictProperties).toBe(true);
    expect(Object.keys(herokuBuildRequest.source_blob).filter((key) => !(key in blob.properties))).toEqual([]);
    expect(Object.values(herokuBuildRequest.source_blob).every((value) => typeof value === 'string')).toBe(true);
  });

  it('lists exactly the build statuses the provider maps', () => {
    expect([...HEROKU_BUILD_STATES.keys()].sort()).toEqual([...schema.definitions.build.definitions.status.enum].sort());
  });

  it('accepts the review app the provider creates, and lists the calls and statuses a preview follows', () => {
    const reviewApp = schema.definitions['review-app'];
    const create = reviewApp.links.find((link) => link.title === 'Create');
    expect([create?.method, create?.href]).toEqual(['POST', '/review-apps']);
    expect(create?.schema.required).toEqual(['branch', 'pipeline', 'source_blob']);
    expect(Object.keys(herokuReviewAppRequest).filter((key) => !(key in (create?.schema.properties ?? {})))).toEqual([]);
    expect(reviewApp.definitions.source_blob.strictProperties).toBe(true);
    expect(Object.keys(herokuReviewAppRequest.source_blob).filter((key) => !(key in reviewApp.definitions.source_blob.properties))).toEqual(
      [],
    );
    expect(reviewApp.links.map((link) => `${link.method} ${link.title}`)).toEqual(
      expect.arrayContaining(['GET List', 'GET Get review app', 'DELETE Delete']),
    );
    expect([...HEROKU_REVIEW_APP_STATES.keys()].sort()).toEqual([...reviewApp.definitions.status.enum].sort());
  });
});
