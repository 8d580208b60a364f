/**
 * A real embedded store (SQLite via sql.js) behind the wire contract @forge/kvs 1.6.5 speaks:
 * `POST /api/v1/<op>` with a JSON body, JSON answers, errors as `{code, message}` (the SDK turns them
 * into ForgeKvsAPIError; a 404 with code KEY_NOT_FOUND becomes `undefined` for get and delete).
 * Limits and codes follow Forge's "Error handling for the Key-Value Store" page.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import initSqlJs from 'sql.js';
import { emptyAnswer, jsonAnswer, textAnswer } from './seam-answer';
import type { EntityAttributeType, EntityDefs } from './manifest';

type Database = initSqlJs.Database;
type SqlValue = initSqlJs.SqlValue;

export interface KvsStore {
  handle(path: string, init: RequestInit | undefined): Promise<Response>;
  close(): Promise<void>;
}

export interface KvsStoreOptions {
  /** SQLite file loaded at start and rewritten after every change; omitted = in memory only. */
  file?: string;
  /** Clock for timestamps and ttl (the platform's virtual clock), ms since the epoch. */
  now(): number;
  /** The manifest's custom entities: writes to others, or with mistyped attributes, are refused as Forge refuses them. */
  entities?: EntityDefs;
}

const MAX_KEY_LENGTH = 500;
const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/;
const MAX_VALUE_BYTES = 240 * 1024;
const MAX_DEPTH = 32;
const DEFAULT_QUERY_LIMIT = 10;
/**
 * Forge's Key-Value Store query reference (runtime-reference/storage-api-query, and js-api-reference/
 * storage-api-query): "Limit the result size to 10 values, up to a maximum of 20". A larger limit is
 * refused here, so an app that asks Forge for more fails locally first.
 */
const MAX_QUERY_LIMIT = 20;
const MAX_BATCH_ITEMS = 25;
const MAX_TRANSACTION_OPS = 25;
const TTL_UNIT_MS = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;

class KvsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A stored row; its value stays the JSON text it was stored as, and answers splice it in unparsed. */
interface Row {
  key: string;
  text: string;
  createdAt: number;
  updatedAt: number;
  expireAt: number | null;
}
/** An item's fields other than its value. */
interface ItemMetadata {
  createdAt: number;
  updatedAt: number;
  expireTime?: string;
}
type Body = Record<string, unknown>;

let sqlJs: Promise<initSqlJs.SqlJsStatic> | undefined;

export function createKvsStore(options: KvsStoreOptions): KvsStore {
  const opened = openDatabase(options.file);
  let closed = false;
  return {
    async handle(path, init) {
      if (closed) throw new Error('the local KVS store is closed');
      const db = await opened;
      const response = serve({ db, now: options.now(), entities: options.entities }, path, init?.body);
      if (options.file && isMutation(path) && response.ok) persist(db.raw, options.file);
      return response;
    },
    async close() {
      if (closed) return;
      closed = true;
      const db = await opened;
      if (options.file) persist(db.raw, options.file);
      db.close();
    },
  };
}

/** Op name for the seam log: `/api/v1/secret/get` → `secret/get`. */
export function kvsOpName(path: string): string {
  return path.replace(/^\/api\/v1\//, '');
}

/**
 * The database and the statements it runs, each prepared once (sql.js compiles a statement on every
 * `prepare`, which cost more than running it). It also keeps the earliest expiry of any row, so that
 * expired rows are swept only when one is due, not by a write on every request.
 */
class Sqlite {
  private readonly statements = new Map<string, initSqlJs.Statement>();
  private earliestExpiry: number | null;

  constructor(readonly raw: Database) {
    this.earliestExpiry = this.minExpiry();
  }

  private statement(sql: string): initSqlJs.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.raw.prepare(sql)));
    return statement;
  }

  run(sql: string, params: SqlValue[] = []): void {
    this.statement(sql).run(params);
  }

  select(where: string, params: SqlValue[]): Row[] {
    const statement = this.statement(`SELECT key, value, created_at, updated_at, expire_at FROM items WHERE ${where}`);
    try {
      statement.bind(params);
      const rows: Row[] = [];
      while (statement.step()) {
        const [key, value, createdAt, updatedAt, expireAt] = statement.get();
        rows.push({
          key: String(key),
          text: String(value),
          createdAt: Number(createdAt),
          updatedAt: Number(updatedAt),
          expireAt: expireAt === null ? null : Number(expireAt),
        });
      }
      return rows;
    } finally {
      statement.reset();
    }
  }

  /** A row written with an expiry: the next sweep is due by then. */
  expiresAt(at: number | null): void {
    if (at !== null && (this.earliestExpiry === null || at < this.earliestExpiry)) this.earliestExpiry = at;
  }

  sweepExpired(now: number): void {
    if (this.earliestExpiry === null || this.earliestExpiry > now) return;
    this.run('DELETE FROM items WHERE expire_at IS NOT NULL AND expire_at <= ?', [now]);
    this.earliestExpiry = this.minExpiry();
  }

  private minExpiry(): number | null {
    const statement = this.statement('SELECT MIN(expire_at) FROM items WHERE expire_at IS NOT NULL');
    try {
      statement.step();
      const [min] = statement.get();
      return min === null || min === undefined ? null : Number(min);
    } finally {
      statement.reset();
    }
  }

  close(): void {
    for (const statement of this.statements.values()) statement.free();
    this.raw.close();
  }
}

async function openDatabase(file: string | undefined): Promise<Sqlite> {
  sqlJs ??= initSqlJs();
  const SQL = await sqlJs;
  const db = file && existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
  // The database lives in memory (a kept store is written out whole after each change), so its
  // rollback journal does too: sql.js would otherwise create and delete a journal file in its
  // emulated file system on every write.
  db.run('PRAGMA journal_mode = MEMORY');
  // One connection only: holding its lock spares SQLite the look for a hot journal (a file-system
  // call in sql.js's emulated file system) at the start of every read.
  db.run('PRAGMA locking_mode = EXCLUSIVE');
  // Nothing to sync: the file sql.js writes lives in its emulated file system, and a kept store is
  // written out whole after each change (persist). Syncing anyway made each write take twice as long.
  db.run('PRAGMA synchronous = OFF');
  db.run(`CREATE TABLE IF NOT EXISTS items (
    ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expire_at INTEGER,
    PRIMARY KEY (ns, key)) WITHOUT ROWID`);
  // Sweeps and the earliest expiry read this index, not the whole table.
  db.run('CREATE INDEX IF NOT EXISTS items_expiry ON items (expire_at) WHERE expire_at IS NOT NULL');
  return new Sqlite(db);
}

/** Written beside the target and renamed, so a crash never leaves half a database. */
function persist(db: Database, file: string): void {
  writeFileSync(`${file}.tmp`, db.export());
  renameSync(`${file}.tmp`, file);
}

function isMutation(path: string): boolean {
  return /\/(set|delete|transaction)$/.test(path);
}

function parseBody(body: RequestInit['body']): unknown {
  if (typeof body !== 'string') throw new KvsError(400, 'INVALID_REQUEST', 'expected a JSON string body');
  try {
    return JSON.parse(body);
  } catch {
    throw new KvsError(400, 'INVALID_REQUEST', 'the body is not valid JSON');
  }
}

/** One request's view of the store. */
interface Ctx {
  db: Sqlite;
  now: number;
  entities: EntityDefs | undefined;
}

function serve(ctx: Ctx, path: string, body: RequestInit['body']): Response {
  try {
    ctx.db.sweepExpired(ctx.now);
    return route(ctx, kvsOpName(path), parseBody(body));
  } catch (error) {
    if (error instanceof KvsError) return jsonAnswer(error.status, { code: error.code, message: error.message });
    throw error;
  }
}

function route(ctx: Ctx, op: string, body: unknown): Response {
  if (op === 'query') return query(ctx.db, asObject(body));
  if (op === 'transaction') return transaction(ctx, asObject(body));
  const [group, action] = op.includes('/') ? (op.split('/') as [string, string]) : ['', op];
  if (group === '' || group === 'secret') return single(ctx, group === 'secret' ? 'secret' : 'kvs', action, asObject(body));
  if (group === 'entity' && action !== 'query') {
    const request = asObject(body);
    return single(ctx, entityNs(ctx, request.entityName), action, request);
  }
  if (group === 'batch') return batch(ctx, action, asArray(body));
  throw new KvsError(
    501,
    'UNSUPPORTED_LOCALLY',
    `the local KVS does not implement /api/v1/${op} (entity index queries need the manifest's entity indexes)`,
  );
}

function single(ctx: Ctx, ns: string, action: string, body: Body): Response {
  const key = validKey(body.key);
  if (action === 'get') {
    const row = readRow(ctx.db, ns, key);
    if (!row) throw new KvsError(404, 'KEY_NOT_FOUND', `key "${key}" not found`);
    return textAnswer(200, itemText(row));
  }
  if (action === 'set') return set(ctx, ns, key, body.value, asObject(body.options ?? {}));
  if (action === 'delete') {
    ctx.db.run('DELETE FROM items WHERE ns = ? AND key = ?', [ns, key]);
    return emptyAnswer();
  }
  throw new KvsError(404, 'NOT_FOUND', `unknown operation ${action}`);
}

function set(ctx: Ctx, ns: string, key: string, value: unknown, options: Body): Response {
  const { db, now } = ctx;
  const text = validValue(value);
  checkEntityValue(ctx, ns, value);
  const expireAt = ttlToExpiry(now, options.ttl);
  db.expiresAt(expireAt);
  // The old row is read only when the write refuses an existing key or returns it; SQL keeps its creation time.
  const previous = options.keyPolicy === 'FAIL_IF_EXISTS' || options.returnValue !== undefined ? readRow(db, ns, key) : undefined;
  // 409 KEY_CONFLICT: the code Forge's REST reference gives for FAIL_IF_EXISTS on an existing key.
  if (previous && options.keyPolicy === 'FAIL_IF_EXISTS') throw new KvsError(409, 'KEY_CONFLICT', `key "${key}" already exists`);
  db.run(
    `INSERT INTO items (ns, key, value, created_at, updated_at, expire_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)
     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expire_at = excluded.expire_at`,
    [ns, key, text, now, expireAt],
  );
  if (options.returnValue === 'PREVIOUS') return previous ? textAnswer(200, itemText(previous)) : emptyAnswer();
  if (options.returnValue === 'LATEST')
    return textAnswer(200, itemText({ key, text, createdAt: previous?.createdAt ?? now, updatedAt: now, expireAt }));
  return emptyAnswer();
}

/**
 * "The only condition supported by the Key-value store is beginsWith" (Forge's query reference): a
 * key range, so the primary key serves it (every key with the prefix sorts below prefix + U+10FFFF).
 */
const BEGINS_WITH_SQL = 'key >= ?1 AND key < ?1 || char(1114111)';

/** Keys in ascending order; the cursor is the last key returned, so pages never overlap or skip. */
function query(db: Sqlite, body: Body): Response {
  const limit = queryLimit(body.limit);
  const after = typeof body.after === 'string' ? Buffer.from(body.after, 'base64url').toString('utf8') : undefined;
  const { sql: whereSql, params } = keyCondition(body.where);
  // The cursor's bound only when there is one: as `(? IS NULL OR key > ?)` it made every query three
  // times slower, though SQLite's plan still named the key range.
  const bounds = after === undefined ? params : [...params, after];
  const cursorSql = after === undefined ? '' : ` AND key > ?${bounds.length}`;
  const rows = db.select(`ns = 'kvs' AND (${whereSql})${cursorSql} ORDER BY key LIMIT ?${bounds.length + 1}`, [...bounds, limit + 1]);
  const page = rows.slice(0, limit);
  const fields = metadataFields(body.options);
  const last = page[page.length - 1];
  const cursor = rows.length > limit && last ? `,"cursor":${JSON.stringify(Buffer.from(last.key, 'utf8').toString('base64url'))}` : '';
  return textAnswer(200, `{"data":[${page.map((row) => itemText(row, {}, fields)).join(',')}]${cursor}}`);
}

function queryLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return DEFAULT_QUERY_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new KvsError(400, 'INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
  }
  return limit;
}

function keyCondition(where: unknown): { sql: string; params: string[] } {
  if (where === undefined || where === null) return { sql: '1', params: [] };
  const clauses = Array.isArray(where) ? where : [];
  const clause = asObject(clauses[0]);
  const values = Array.isArray(clause.values) ? clause.values : [];
  if (clauses.length !== 1 || clause.property !== 'key' || clause.condition !== 'BEGINS_WITH' || values.length !== 1) {
    throw new KvsError(400, 'INVALID_QUERY', `unsupported where clause ${JSON.stringify(where)}`);
  }
  return { sql: BEGINS_WITH_SQL, params: values.map(String) };
}

function batch(ctx: Ctx, action: string, items: unknown[]): Response {
  if (items.length > MAX_BATCH_ITEMS) throw new KvsError(400, 'TOO_MANY_ITEMS', `a batch holds at most ${MAX_BATCH_ITEMS} items`);
  const successfulKeys: string[] = [];
  const failedKeys: Body[] = [];
  for (const raw of items) {
    const item = asObject(raw);
    const ref = { key: item.key, ...(item.entityName ? { entityName: item.entityName } : {}) };
    try {
      const ns = item.entityName ? entityNs(ctx, item.entityName) : 'kvs';
      const outcome = batchItem(ctx, action, ns, item);
      if (outcome === 'written') successfulKeys.push(JSON.stringify(ref));
      else if (outcome !== 'missing') successfulKeys.push(itemText(outcome, ref));
    } catch (error) {
      if (!(error instanceof KvsError)) throw error;
      failedKeys.push({ ...ref, error: { code: error.code, message: error.message } });
    }
  }
  return textAnswer(200, `{"successfulKeys":[${successfulKeys.join(',')}],"failedKeys":${JSON.stringify(failedKeys)}}`);
}

/** The row a batch get found, or that it found none (left out of the answer), or that a set or delete was done. */
function batchItem(ctx: Ctx, action: string, ns: string, item: Body): Row | 'missing' | 'written' {
  const key = validKey(item.key);
  if (action === 'get') return readRow(ctx.db, ns, key) ?? 'missing';
  single(ctx, ns, action === 'set' ? 'set' : 'delete', { key, value: item.value, options: item.options });
  return 'written';
}

/**
 * Sets, deletes and checks applied all together or not at all. A condition is evaluated against the
 * custom entity as stored (an entity that does not exist has no attributes, so only NOT_EXISTS holds
 * for it: Forge does not document this case, and the app never relies on it). A failed condition
 * answers CONDITIONAL_CHECK_FAILED, the code Forge's transaction reference gives for "conditional
 * check specified or optimistic locking"; its status there is a 400.
 */
function transaction(ctx: Ctx, body: Body): Response {
  const { db } = ctx;
  const sets = asArray(body.set ?? []).map(asObject);
  const deletes = asArray(body.delete ?? []).map(asObject);
  const checks = asArray(body.check ?? []).map(asObject);
  const all = [...sets, ...deletes, ...checks];
  if (all.length === 0)
    throw new KvsError(400, 'INVALID_TRANSACTION_REQUEST', 'Transaction request must include one of set, check or delete.');
  if (all.length > MAX_TRANSACTION_OPS) {
    throw new KvsError(400, 'TOO_MANY_OPERATIONS', `a transaction holds at most ${MAX_TRANSACTION_OPS} operations`);
  }
  const nsOf = (op: Body) => (op.entityName ? entityNs(ctx, op.entityName) : 'kvs');
  const seen = new Set<string>();
  for (const op of all) {
    const id = `${nsOf(op)}\u0000${validKey(op.key)}`;
    if (seen.has(id))
      throw new KvsError(400, 'INVALID_TRANSACTION_REQUEST', `key "${String(op.key)}" is used more than once in the transaction`);
    seen.add(id);
    if (op.conditions !== undefined && !op.entityName) {
      throw new KvsError(400, 'INVALID_TRANSACTION_REQUEST', 'conditions apply to custom entities only');
    }
  }
  if (checks.some((op) => op.conditions === undefined)) throw new KvsError(400, 'INVALID_TRANSACTION_REQUEST', 'a check needs conditions');
  for (const op of all) {
    if (op.conditions === undefined) continue;
    const row = readRow(db, nsOf(op), validKey(op.key));
    if (!conditionsHold(asObject(op.conditions), row && JSON.parse(row.text))) {
      throw new KvsError(
        400,
        'CONDITIONAL_CHECK_FAILED',
        `Request failed due to conditional check specified or optimistic locking (key "${String(op.key)}")`,
      );
    }
  }
  db.run('SAVEPOINT tx');
  try {
    for (const op of sets) single(ctx, nsOf(op), 'set', { key: op.key, value: op.value, options: op.options });
    for (const op of deletes) single(ctx, nsOf(op), 'delete', op);
    db.run('RELEASE tx');
  } catch (error) {
    db.run('ROLLBACK TO tx');
    db.run('RELEASE tx');
    throw error;
  }
  return emptyAnswer();
}

type Comparable = string | number | boolean;

/** `{and: [...]}` or `{or: [...]}` of `{property, condition, values}`, as @forge/kvs builds them. */
function conditionsHold(conditions: Body, entity: unknown): boolean {
  const { and, or } = conditions;
  if ((and === undefined) === (or === undefined)) {
    throw new KvsError(400, 'INVALID_FILTER_OPERATORS_COMBINATION', 'Filter operators "and" and "or" cannot be present at the same level.');
  }
  const filters = asArray(and ?? or).map(asObject);
  if (filters.length === 0) throw new KvsError(400, 'EMPTY_FILTER_OPERATOR', 'Filter operators "and" and "or" cannot be empty.');
  const attributes = entity !== null && typeof entity === 'object' ? (entity as Body) : {};
  const results = filters.map((filter) => filterHolds(filter, attributes[String(filter.property)]));
  return and !== undefined ? results.every(Boolean) : results.some(Boolean);
}

function filterHolds(filter: Body, actual: unknown): boolean {
  const values = asArray(filter.values ?? []) as Comparable[];
  const [a, b] = values;
  const present = actual !== undefined && actual !== null;
  const value = actual as Comparable;
  switch (filter.condition) {
    case 'EXISTS':
      return present;
    case 'NOT_EXISTS':
      return !present;
    case 'EQUAL_TO':
      return present && value === a;
    case 'NOT_EQUAL_TO':
      return !present || value !== a;
    case 'GREATER_THAN':
      return present && a !== undefined && value > a;
    case 'GREATER_THAN_EQUAL_TO':
      return present && a !== undefined && value >= a;
    case 'LESS_THAN':
      return present && a !== undefined && value < a;
    case 'LESS_THAN_EQUAL_TO':
      return present && a !== undefined && value <= a;
    case 'BETWEEN':
      return present && a !== undefined && b !== undefined && value >= a && value <= b;
    case 'BEGINS_WITH':
      return typeof value === 'string' && value.startsWith(String(a));
    case 'CONTAINS':
      return typeof value === 'string' && value.includes(String(a));
    case 'NOT_CONTAINS':
      return typeof value !== 'string' || !value.includes(String(a));
    default:
      throw new KvsError(400, 'INVALID_CONDITION', `unknown condition ${JSON.stringify(filter.condition)}`);
  }
}

const ATTRIBUTE_CHECKS: Record<EntityAttributeType, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string' && v.trim() !== '',
  integer: (v) => Number.isInteger(v) && (v as number) >= -2_147_483_648 && (v as number) <= 2_147_483_647,
  float: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  any: () => true,
};

/** "The Custom Entity Store strictly enforces attribute types": an entity's value holds declared attributes only. */
function checkEntityValue(ctx: Ctx, ns: string, value: unknown): void {
  if (!ns.startsWith('entity/') || !ctx.entities) return;
  const attributes = ctx.entities.get(ns.slice('entity/'.length));
  if (!attributes) return;
  for (const [name, attribute] of Object.entries(asObject(value))) {
    const type = attributes.get(name);
    if (!type) throw new KvsError(400, 'INVALID_ENTITY_ATTRIBUTE', `attribute "${name}" is not declared for this entity in manifest.yml`);
    if (attribute !== null && attribute !== undefined && !ATTRIBUTE_CHECKS[type](attribute)) {
      throw new KvsError(400, 'INVALID_ENTITY_ATTRIBUTE_TYPE', `attribute "${name}" must be of type ${type}`);
    }
  }
}

function validKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new KvsError(400, 'KEY_TOO_SHORT', 'the key must be at least one character');
  if (key.length > MAX_KEY_LENGTH) throw new KvsError(400, 'KEY_TOO_LONG', `the key is longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_PATTERN.test(key)) throw new KvsError(400, 'INVALID_KEY', `key "${key}" does not match ${KEY_PATTERN}`);
  return key;
}

function validValue(value: unknown): string {
  if (value === undefined) throw new KvsError(400, 'INVALID_VALUE', 'a value is required');
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) > MAX_VALUE_BYTES) throw new KvsError(400, 'MAX_SIZE', `the value is larger than ${MAX_VALUE_BYTES} bytes`);
  if (depthOf(text) > MAX_DEPTH) throw new KvsError(400, 'MAX_DEPTH', `the value nests deeper than ${MAX_DEPTH} levels`);
  return text;
}

/** How deep the JSON nests: its deepest run of open brackets outside strings (no walk of the parsed value). */
function depthOf(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) deepest = Math.max(deepest, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return deepest;
}

function ttlToExpiry(now: number, ttl: unknown): number | null {
  if (ttl === undefined) return null;
  const { value, unit } = asObject(ttl);
  const unitMs = typeof unit === 'string' && unit in TTL_UNIT_MS ? TTL_UNIT_MS[unit as keyof typeof TTL_UNIT_MS] : undefined;
  if (typeof value !== 'number' || value <= 0 || !unitMs) throw new KvsError(400, 'INVALID_TTL', `invalid ttl ${JSON.stringify(ttl)}`);
  return now + value * unitMs;
}

function entityNs(ctx: Ctx, entityName: unknown): string {
  if (typeof entityName !== 'string' || entityName.length < 3)
    throw new KvsError(400, 'ENTITY_TYPE_TOO_SHORT', 'the entity name needs at least 3 characters');
  if (ctx.entities && ctx.entities.size > 0 && !ctx.entities.has(entityName)) {
    throw new KvsError(400, 'ENTITY_NOT_FOUND', `entity "${entityName}" is not declared under app.storage.entities in manifest.yml`);
  }
  return `entity/${entityName}`;
}

function readRow(db: Sqlite, ns: string, key: string): Row | undefined {
  return db.select('ns = ?1 AND key = ?2', [ns, key])[0];
}

const METADATA_PROPS = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', EXPIRE_TIME: 'expireTime' } as const;
const EVERY_METADATA_FIELD = Object.keys(METADATA_PROPS);

/**
 * An item as the SDK reads it, as JSON: `fields` picks its metadata (a query's results carry only what
 * the app asked for), `head` comes first (a batch names the key's entity). The value goes in as the
 * text it was stored as: parsing and serialising it again, on every read, was most of the store's time.
 */
function itemText(row: Row, head: Body = {}, fields = EVERY_METADATA_FIELD): string {
  const metadata: ItemMetadata = {
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.expireAt !== null ? { expireTime: new Date(row.expireAt).toISOString() } : {}),
  };
  const out: Body = { key: row.key, ...head };
  for (const field of fields) {
    const prop = METADATA_PROPS[field as keyof typeof METADATA_PROPS];
    if (prop && metadata[prop] !== undefined) out[prop] = metadata[prop];
  }
  return `${JSON.stringify(out).slice(0, -1)},"value":${row.text}}`;
}

function metadataFields(options: unknown): string[] {
  const fields = asObject(options ?? {}).metadataFields;
  return Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [];
}

function asObject(value: unknown): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new KvsError(400, 'INVALID_REQUEST', 'expected a JSON object');
  return value as Body;
}

function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new KvsError(400, 'INVALID_REQUEST', 'expected a JSON array');
  return value;
}
