/**
 * Customer-managed egress as Forge runs it for one installation, behind the bridge calls a page makes
 * (`permissions.egress.get/set/deleteDomain/deleteGroup` in @forge/bridge, which send
 * `__permission__egress*`). What the docs say, and what is kept from them:
 * - every call fails unless manifest.yml sets `permissions.external.configurable.enabled: true`;
 * - `set` shows an admin a confirmation: approved, the groups are saved and the promise resolves;
 *   refused, or asked by someone who is not an admin, it rejects and nothing changes;
 * - at most 10 groups an installation (the docs); 10 domains a group and 40 in all (forge-platform.md);
 * - `get` needs no admin; the deletes succeed for what does not exist.
 * Whether `set` with a group's key replaces or merges that group is not documented: here it replaces
 * it, so a page must send every domain the group keeps (the harsher reading: a merge would forgive it).
 * Who approves is the test's to say (`decide`); by default nobody does.
 */

export interface EgressEntry {
  domain: string;
  type: string[];
}
export interface EgressGroup {
  key: string;
  description: string;
  configured: EgressEntry[];
}

export interface ApprovalRequest {
  accountId: string | undefined;
  egresses: readonly EgressGroup[];
}
/** True: the admin approves in Forge's modal. False: they refuse, or are not an admin. */
export type EgressDecision = (request: ApprovalRequest) => boolean | Promise<boolean>;

export interface CustomerEgress {
  handle(cmd: string, payload: unknown, accountId: string | undefined): Promise<unknown>;
  /** Domains approved for backend fetches, as the egress guard allows them. */
  backendDomains(): string[];
  /** Who approves from now on. */
  decideWith(decision: EgressDecision): void;
  /** Every approval Forge asked for, in order, with the answer given. */
  readonly asked: { request: ApprovalRequest; approved: boolean }[];
}

const MAX_GROUPS = 10;
const MAX_GROUP_DOMAINS = 10;
const MAX_DOMAINS = 40;
const TYPES = new Set(['FETCH_BACKEND_SIDE', 'FETCH_CLIENT_SIDE', 'FONTS', 'FRAMES', 'IMAGES', 'MEDIA', 'SCRIPTS', 'STYLES']);
/** The manifest reference's domain syntax, with an optional scheme as the API docs' examples show. */
const DOMAIN = /^(https?:\/\/)?(\*\.)?[a-zA-Z0-9_\-.~%]+(:\d{1,5})?$/;

/** Rejects the way the bridge does: with an Error whose message says what the platform answered. */
const refuse = (status: number, why: string): never => {
  throw Object.assign(new Error(`${status}: ${why}`), { status });
};

function parseGroups(payload: unknown): EgressGroup[] {
  const egresses = (payload as { egresses?: unknown } | undefined)?.egresses;
  if (!Array.isArray(egresses) || egresses.length === 0) return refuse(400, 'egresses must be a non-empty list');
  const keys = new Set<string>();
  return egresses.map((group: Partial<EgressGroup>) => {
    if (typeof group.key !== 'string' || group.key === '') return refuse(400, 'every group needs a key');
    if (keys.has(group.key)) return refuse(422, `duplicate key ${group.key}`);
    keys.add(group.key);
    if (typeof group.description !== 'string') return refuse(400, `group ${group.key} needs a description`);
    if (!Array.isArray(group.configured)) return refuse(400, `group ${group.key} needs configured domains`);
    const seen = new Set<string>();
    for (const entry of group.configured) {
      if (typeof entry?.domain !== 'string' || !DOMAIN.test(entry.domain)) return refuse(422, `invalid domain ${String(entry?.domain)}`);
      if (!Array.isArray(entry.type) || entry.type.length === 0 || !entry.type.every((t) => TYPES.has(t)))
        return refuse(400, `invalid type for ${entry.domain}`);
      if (seen.has(entry.domain)) return refuse(422, `duplicate domain ${entry.domain}`);
      seen.add(entry.domain);
    }
    return {
      key: group.key,
      description: group.description,
      configured: group.configured.map((e) => ({ domain: e.domain, type: [...e.type] })),
    };
  });
}

export function createCustomerEgress(options: { enabled: boolean }): CustomerEgress {
  const groups = new Map<string, EgressGroup>();
  let decide: EgressDecision = () => false;
  const asked: CustomerEgress['asked'] = [];
  const results = (list: Iterable<EgressGroup>) => ({ results: [...list].map((g) => structuredClone(g)) });

  async function set(payload: unknown, accountId: string | undefined) {
    const incoming = parseGroups(payload);
    const next = new Map(groups);
    for (const group of incoming) next.set(group.key, group);
    const total = [...next.values()].reduce((n, g) => n + g.configured.length, 0);
    if (next.size > MAX_GROUPS) refuse(400, `max egress limit exceeded: at most ${MAX_GROUPS} groups`);
    if (incoming.some((g) => g.configured.length > MAX_GROUP_DOMAINS))
      refuse(400, `max egress limit exceeded: at most ${MAX_GROUP_DOMAINS} domains a group`);
    if (total > MAX_DOMAINS) refuse(400, `max egress limit exceeded: at most ${MAX_DOMAINS} domains`);
    const request = { accountId, egresses: incoming };
    const approved = await decide(structuredClone(request));
    asked.push({ request, approved });
    if (!approved) refuse(403, 'the egress was not approved');
    for (const group of incoming) groups.set(group.key, group);
    return results(incoming);
  }

  return {
    asked,
    decideWith: (decision) => {
      decide = decision;
    },
    backendDomains: () =>
      [...groups.values()].flatMap((g) => g.configured.filter((e) => e.type.includes('FETCH_BACKEND_SIDE')).map((e) => e.domain)),
    async handle(cmd, payload, accountId) {
      if (!options.enabled) refuse(403, 'customer-managed egress is not enabled for this app (permissions.external.configurable.enabled)');
      const body = (payload ?? {}) as { keys?: string[]; key?: string; domain?: string; type?: string };
      switch (cmd) {
        case '__permission__egressGet':
          return results([...groups.values()].filter((g) => !body.keys || body.keys.includes(g.key)));
        case '__permission__egressSet':
          return set(payload, accountId);
        case '__permission__egressDeleteDomain': {
          const group = body.key === undefined ? undefined : groups.get(body.key);
          if (group) group.configured = group.configured.filter((e) => !(e.domain === body.domain && e.type.includes(body.type ?? '')));
          return undefined;
        }
        case '__permission__egressDeleteGroup':
          if (body.key !== undefined) groups.delete(body.key);
          return undefined;
        default:
          return refuse(400, `unknown permission call ${cmd}`);
      }
    },
  };
}
