import { hostOfAddress } from '../../src/core/egress';
import { DECLARED_EGRESS_HOSTS } from '../../src/core/egress-hosts';
import { EgressNotAllowedError } from '../../src/core/errors';
import { egressAllows, egressRefuses } from '../../src/forge/egress-match';

/** Forge's own matcher (@forge/egress), as the app and the local platform's guard both use it. */
describe('egressAllows', () => {
  it('lets a name allow itself over https, whatever its case, and nothing else', () => {
    expect(egressAllows(['dokploy.example.com'], 'https://dokploy.example.com/api')).toBe(true);
    expect(egressAllows(['dokploy.example.com'], 'https://Dokploy.Example.COM/api')).toBe(true);
    expect(egressAllows(['Dokploy.Example.com'], 'https://dokploy.example.com')).toBe(true);
    expect(egressAllows(['dokploy.example.com'], 'https://coolify.example.com')).toBe(false);
    expect(egressAllows(['dokploy.example.com'], 'https://example.com')).toBe(false);
    expect(egressAllows(['example.com'], 'https://dokploy.example.com')).toBe(false);
  });

  it('matches scheme and port as Forge does: an entry without either allows https on the default port only', () => {
    expect(egressAllows(['dokploy.example.com'], 'http://dokploy.example.com')).toBe(false);
    expect(egressAllows(['dokploy.example.com'], 'https://dokploy.example.com:3000')).toBe(false);
    expect(egressAllows(['https://dokploy.example.com:3000'], 'https://dokploy.example.com:3000/api')).toBe(true);
    expect(egressAllows(['https://dokploy.example.com:3000'], 'https://dokploy.example.com')).toBe(false);
  });

  it('lets *.example.com allow names below example.com, at any depth, but not example.com or look-alikes', () => {
    const declared = ['*.example.com'];
    expect(egressAllows(declared, 'https://dokploy.example.com')).toBe(true);
    expect(egressAllows(declared, 'https://eu.dokploy.example.com')).toBe(true);
    expect(egressAllows(declared, 'https://example.com')).toBe(false);
    expect(egressAllows(declared, 'https://example.com.evil.net')).toBe(false);
    expect(egressAllows(declared, 'https://notexample.com')).toBe(false);
  });

  it('lets * allow every URL, and an empty list none', () => {
    expect(egressAllows(['*'], 'http://anything.example.net:8080')).toBe(true);
    expect(egressAllows([], 'https://api.render.com')).toBe(false);
  });
});

describe('egressRefuses', () => {
  it('lists the URLs no entry allows, each once, in order, lower-cased', () => {
    expect(
      egressRefuses(
        ['https://b.example.net', 'https://api.render.com', 'https://A.example.net', 'https://b.example.net'],
        ['api.render.com'],
      ),
    ).toEqual(['https://b.example.net', 'https://a.example.net']);
    expect(egressRefuses(['https://api.render.com', 'https://x.example.com'], ['api.render.com', '*.example.com'])).toEqual([]);
  });
});

describe('hostOfAddress', () => {
  it('reduces a manifest address to its host and keeps patterns', () => {
    expect(hostOfAddress('https://API.example.com:8443/v1')).toBe('api.example.com');
    expect(hostOfAddress('api.example.com')).toBe('api.example.com');
    expect(hostOfAddress('*.example.com')).toBe('*.example.com');
    expect(hostOfAddress('*')).toBe('*');
  });
});

describe('the shipped declaration', () => {
  it('does not declare *: a customer host is approved by a workspace admin, not allowed for everyone', () => {
    expect(DECLARED_EGRESS_HOSTS).not.toContain('*');
    expect(egressRefuses(['https://dokploy.example.com'], DECLARED_EGRESS_HOSTS)).toEqual(['https://dokploy.example.com']);
  });
});

describe('EgressNotAllowedError', () => {
  it('sends a repository admin to a workspace admin and this page, never to manifest.yml or forge deploy', () => {
    const error = new EgressNotAllowedError(['https://dokploy.example.com:3000']);
    expect(error).toMatchObject({ code: 'EGRESS_NOT_ALLOWED', origins: ['https://dokploy.example.com:3000'] });
    expect(error.message).toBe(
      'Deploy Relay may not call dokploy.example.com:3000 yet: a workspace admin must approve it. Open this target in the repository’s settings (Deploy Relay) as a workspace admin and save it: the page asks Bitbucket for the approval.',
    );
    expect(new EgressNotAllowedError(['https://a.example.com', 'https://b.example.com']).message).toMatch(
      /^Deploy Relay may not call a\.example\.com, b\.example\.com yet: a workspace admin must approve them\./,
    );
    expect(error.message).not.toMatch(/manifest|forge deploy|npm run/);
  });
});

describe('a malformed entry', () => {
  it('allows nothing and breaks nothing: Forge’s matcher would throw on it', () => {
    expect(egressRefuses(['https://api.render.com'], ['%zz.example.com', 'api.render.com'])).toEqual([]);
    expect(egressAllows(['%zz.example.com'], 'https://x.example.com')).toBe(false);
  });
});
