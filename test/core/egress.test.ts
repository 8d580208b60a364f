import { declares, hostOfAddress, undeclaredHosts } from '../../src/core/egress';
import { DECLARED_EGRESS_HOSTS } from '../../src/core/egress-hosts';
import { EgressNotAllowedError } from '../../src/core/errors';

describe('declares', () => {
  it('allows a declared name, in any case, and nothing else', () => {
    expect(declares(['dokploy.example.com'], 'dokploy.example.com')).toBe(true);
    expect(declares(['dokploy.example.com'], 'Dokploy.Example.COM')).toBe(true);
    expect(declares(['dokploy.example.com'], 'coolify.example.com')).toBe(false);
    expect(declares(['dokploy.example.com'], 'example.com')).toBe(false);
    expect(declares(['example.com'], 'dokploy.example.com')).toBe(false);
  });

  it('lets *.example.com allow names below example.com at any depth, but not example.com itself', () => {
    const declared = ['*.example.com'];
    expect(declares(declared, 'dokploy.example.com')).toBe(true);
    expect(declares(declared, 'eu.dokploy.example.com')).toBe(true);
    expect(declares(declared, 'example.com')).toBe(false);
    expect(declares(declared, 'example.com.evil.net')).toBe(false);
    expect(declares(declared, 'notexample.com')).toBe(false);
  });

  it('lets * allow every host', () => {
    expect(declares(['*'], 'anything.example.net')).toBe(true);
    expect(declares(['*'], '127.0.0.1')).toBe(true);
  });

  it('reads an exact name literally, so a bracketed IPv6 literal is not a glob character class', () => {
    expect(declares(['[::1]'], '[::1]')).toBe(true);
    expect(declares(['[::1]'], '1')).toBe(false);
  });

  it('allows nothing when nothing is declared', () => {
    expect(declares([], 'api.render.com')).toBe(false);
  });
});

describe('undeclaredHosts', () => {
  it('lists the hosts no entry allows, each once, in order, lower-cased', () => {
    expect(undeclaredHosts(['b.example.net', 'api.render.com', 'A.example.net', 'b.example.net'], ['api.render.com'])).toEqual([
      'b.example.net',
      'a.example.net',
    ]);
    expect(undeclaredHosts(['api.render.com', 'x.example.com'], ['api.render.com', '*.example.com'])).toEqual([]);
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
  it('does not declare *: every customer host is added on purpose', () => {
    expect(DECLARED_EGRESS_HOSTS).not.toContain('*');
    expect(undeclaredHosts(['dokploy.example.com'], DECLARED_EGRESS_HOSTS)).toEqual(['dokploy.example.com']);
  });
});

describe('EgressNotAllowedError', () => {
  it('names the hosts, the manifest key and the command that fixes it', () => {
    expect(new EgressNotAllowedError(['dokploy.example.com']).message).toBe(
      'dokploy.example.com is not in manifest.yml\'s permissions.external.fetch.backend; run "npm run egress -- add dokploy.example.com", then forge deploy.',
    );
    expect(new EgressNotAllowedError(['a.example.com', 'b.example.com'])).toMatchObject({
      code: 'EGRESS_NOT_ALLOWED',
      message: expect.stringMatching(
        /^a\.example\.com, b\.example\.com are not in .*"npm run egress -- add a\.example\.com b\.example\.com"/,
      ),
    });
  });
});
