import picomatch from 'picomatch';

/**
 * The hosts manifest.yml declares under permissions.external.fetch.backend. Forge refuses any other
 * outbound call, so the page warns about a target whose host is not here. Kept in step with the
 * manifest by test/platform/settings-resolver.test.ts.
 */
export const EGRESS_HOSTS: readonly string[] = [
  'api.digitalocean.com',
  'api.render.com',
  'api.vercel.com',
  'api.netlify.com',
  'api.heroku.com',
  'api.upsun.com',
  'auth.upsun.com',
  'backboard.railway.app',
];

const declared = picomatch([...EGRESS_HOSTS], { nocase: true });

export const undeclaredHosts = (hosts: readonly string[]): string[] => hosts.filter((host) => !declared(host));
