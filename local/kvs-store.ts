/**
 * A real embedded store (SQLite via sql.js) behind the wire contract @forge/kvs 1.6.5 speaks:
 * `POST /api/v1/<op>` with a JSON body, JSON answers, errors as `{code, message}` (the SDK turns them
 * into ForgeKvsAPIError; a 404 with code KEY_NOT_FOUND becomes `undefined` for get and delete).
 * Limits and codes follow Forge's "Error handling for the Key-Value Store" page.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import initSqlJs from 'sql.js';

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
}

const MAX_KEY_LENGTH = 500;
const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/;
const MAX_VALUE_BYTES = 240 * 1024;
const MAX_DEPTH = 32;
const DEFAULT_QUERY_LIMIT = 10;
const MAX_QUERY_LIMIT = 100;
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

interface Row {
  key: string;
  value: unknown;
  createdAt: number;
  updatedAt: number;
  expireAt: number | null;
}
interface Item {
  key: string;
  value: unknown;
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
      const response = serve(db, options.now(), path, init?.body);
      if (options.file && isMutation(path) && response.ok) persist(db, options.file);
      return response;
    },
    async close() {
      if (closed) return;
      closed = true;
      const db = await opened;
      if (options.file) persist(db, options.file);
      db.close();
    },
  };
}

/** Op name for the seam log: `/api/v1/secret/get` → `secret/get`. */
export function kvsOpName(path: string): string {
  return path.replace(/^\/api\/v1\//, '');
}

async function openDatabase(file: string | undefined): Promise<Database> {
  sqlJs ??= initSqlJs();
  const SQL = await sqlJs;
  const db = file && existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
  db.run(`CREATE TABLE IF NOT EXISTS items (
    ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expire_at INTEGER,
    PRIMARY KEY (ns, key)) WITHOUT ROWID`);
  // Expired rows are swept on every request: without this index each sweep reads the whole table.
  db.run('CREATE INDEX IF NOT EXISTS items_expiry ON items (expire_at) WHERE expire_at IS NOT NULL');
  return db;
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

function serve(db: Database, now: number, path: string, body: RequestInit['body']): Response {
  try {
    db.run('DELETE FROM items WHERE expire_at IS NOT NULL AND expire_at <= ?', [now]);
    return route(db, now, kvsOpName(path), parseBody(body));
  } catch (error) {
    if (error instanceof KvsError) return json(error.status, { code: error.code, message: error.message });
    throw error;
  }
}

function route(db: Database, now: number, op: string, body: unknown): Response {
  if (op === 'query') return query(db, asObject(body));
  if (op === 'transaction') return transaction(db, now, asObject(body));
  const [group, action] = op.includes('/') ? (op.split('/') as [string, string]) : ['', op];
  if (group === '' || group === 'secret') return single(db, now, group === 'secret' ? 'secret' : 'kvs', action, asObject(body));
  if (group === 'entity' && action !== 'query') {
    const request = asObject(body);
    return single(db, now, entityNs(request.entityName), action, request);
  }
  if (group === 'batch') return batch(db, now, action, asArray(body));
  throw new KvsError(
    501,
    'UNSUPPORTED_LOCALLY',
    `the local KVS does not implement /api/v1/${op} (entity index queries need the manifest's entity indexes)`,
  );
}

function single(db: Database, now: number, ns: string, action: string, body: Body): Response {
  const key = validKey(body.key);
  if (action === 'get') {
    const row = readRow(db, ns, key);
    if (!row) throw new KvsError(404, 'KEY_NOT_FOUND', `key "${key}" not found`);
    return json(200, toItem(row));
  }
  if (action === 'set') return set(db, now, ns, key, body.value, asObject(body.options ?? {}));
  if (action === 'delete') {
    db.run('DELETE FROM items WHERE ns = ? AND key = ?', [ns, key]);
    return new Response(null, { status: 204 });
  }
  throw new KvsError(404, 'NOT_FOUND', `unknown operation ${action}`);
}

function set(db: Database, now: number, ns: string, key: string, value: unknown, options: Body): Response {
  const text = validValue(value);
  const previous = readRow(db, ns, key);
  if (previous && options.keyPolicy === 'FAIL_IF_EXISTS') throw new KvsError(409, 'KEY_ALREADY_EXISTS', `key "${key}" already exists`);
  const expireAt = ttlToExpiry(now, options.ttl);
  db.run('INSERT OR REPLACE INTO items (ns, key, value, created_at, updated_at, expire_at) VALUES (?, ?, ?, ?, ?, ?)', [
    ns,
    key,
    text,
    previous?.createdAt ?? now,
    now,
    expireAt,
  ]);
  if (options.returnValue === 'PREVIOUS') return previous ? json(200, toItem(previous)) : new Response(null, { status: 204 });
  if (options.returnValue === 'LATEST')
    return json(200, toItem({ key, value, createdAt: previous?.createdAt ?? now, updatedAt: now, expireAt }));
  return new Response(null, { status: 204 });
}

const KEY_CONDITIONS: Record<string, { sql: string; arity: number }> = {
  // A key range, so the primary key serves it: every key with the prefix sorts below prefix + U+10FFFF.
  BEGINS_WITH: { sql: 'key >= ?1 AND key < ?1 || char(1114111)', arity: 1 },
  BETWEEN: { sql: 'key >= ?1 AND key <= ?2', arity: 2 },
  EQUAL_TO: { sql: 'key = ?1', arity: 1 },
  GREATER_THAN: { sql: 'key > ?1', arity: 1 },
  GREATER_THAN_EQUAL_TO: { sql: 'key >= ?1', arity: 1 },
  LESS_THAN: { sql: 'key < ?1', arity: 1 },
  LESS_THAN_EQUAL_TO: { sql: 'key <= ?1', arity: 1 },
};

/** Keys in ascending order; the cursor is the last key returned, so pages never overlap or skip. */
function query(db: Database, body: Body): Response {
  const limit = queryLimit(body.limit);
  const after = typeof body.after === 'string' ? Buffer.from(body.after, 'base64url').toString('utf8') : undefined;
  const { sql: whereSql, params } = keyCondition(body.where);
  const rows = selectRows(
    db,
    `ns = 'kvs' AND (${whereSql}) AND (?${params.length + 1} IS NULL OR key > ?${params.length + 1}) ORDER BY key LIMIT ?${params.length + 2}`,
    [...params, after ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const fields = metadataFields(body.options);
  const last = page[page.length - 1];
  return json(200, {
    data: page.map((row) => pickMetadata(toItem(row), fields)),
    ...(rows.length > limit && last ? { cursor: Buffer.from(last.key, 'utf8').toString('base64url') } : {}),
  });
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
  const known = typeof clause.condition === 'string' ? KEY_CONDITIONS[clause.condition] : undefined;
  const values = Array.isArray(clause.values) ? clause.values : [];
  if (clauses.length !== 1 || clause.property !== 'key' || !known || values.length !== known.arity) {
    throw new KvsError(400, 'INVALID_QUERY', `unsupported where clause ${JSON.stringify(where)}`);
  }
  return { sql: known.sql, params: values.map(String) };
}

function batch(db: Database, now: number, action: string, items: unknown[]): Response {
  if (items.length > MAX_BATCH_ITEMS) throw new KvsError(400, 'TOO_MANY_ITEMS', `a batch holds at most ${MAX_BATCH_ITEMS} items`);
  const successfulKeys: Body[] = [];
  const failedKeys: Body[] = [];
  for (const raw of items) {
    const item = asObject(raw);
    const ref = { key: item.key, ...(item.entityName ? { entityName: item.entityName } : {}) };
    try {
      const ns = item.entityName ? entityNs(item.entityName) : 'kvs';
      const found = batchItem(db, now, action, ns, item);
      if (found) successfulKeys.push({ ...ref, ...found });
    } catch (error) {
      if (!(error instanceof KvsError)) throw error;
      failedKeys.push({ ...ref, error: { code: error.code, message: error.message } });
    }
  }
  return json(200, { successfulKeys, failedKeys });
}

/** Returns the success entry's extra fields, or undefined for a batch get of a missing key (left out). */
function batchItem(db: Database, now: number, action: string, ns: string, item: Body): Body | undefined {
  const key = validKey(item.key);
  if (action === 'get') {
    const row = readRow(db, ns, key);
    return row ? { ...toItem(row) } : undefined;
  }
  single(db, now, ns, action === 'set' ? 'set' : 'delete', { key, value: item.value, options: item.options });
  return {};
}

/** Sets and deletes applied all together or not at all; conditional checks are not modelled locally. */
function transaction(db: Database, now: number, body: Body): Response {
  const sets = asArray(body.set ?? []).map(asObject);
  const deletes = asArray(body.delete ?? []).map(asObject);
  if (body.check || [...sets, ...deletes].some((op) => op.conditions)) {
    throw new KvsError(501, 'UNSUPPORTED_LOCALLY', 'the local KVS does not evaluate transaction conditions or checks');
  }
  if (sets.length + deletes.length > MAX_TRANSACTION_OPS) {
    throw new KvsError(400, 'TOO_MANY_OPERATIONS', `a transaction holds at most ${MAX_TRANSACTION_OPS} operations`);
  }
  db.run('SAVEPOINT tx');
  try {
    for (const op of sets) single(db, now, op.entityName ? entityNs(op.entityName) : 'kvs', 'set', op);
    for (const op of deletes) single(db, now, op.entityName ? entityNs(op.entityName) : 'kvs', 'delete', op);
    db.run('RELEASE tx');
  } catch (error) {
    db.run('ROLLBACK TO tx');
    db.run('RELEASE tx');
    throw error;
  }
  return new Response(null, { status: 204 });
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
  if (depthOf(value) > MAX_DEPTH) throw new KvsError(400, 'MAX_DEPTH', `the value nests deeper than ${MAX_DEPTH} levels`);
  return text;
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Object.values(value);
  return 1 + (children.length ? Math.max(...children.map(depthOf)) : 0);
}

function ttlToExpiry(now: number, ttl: unknown): number | null {
  if (ttl === undefined) return null;
  const { value, unit } = asObject(ttl);
  const unitMs = typeof unit === 'string' && unit in TTL_UNIT_MS ? TTL_UNIT_MS[unit as keyof typeof TTL_UNIT_MS] : undefined;
  if (typeof value !== 'number' || value <= 0 || !unitMs) throw new KvsError(400, 'INVALID_TTL', `invalid ttl ${JSON.stringify(ttl)}`);
  return now + value * unitMs;
}

function entityNs(entityName: unknown): string {
  if (typeof entityName !== 'string' || entityName.length < 3)
    throw new KvsError(400, 'ENTITY_TYPE_TOO_SHORT', 'the entity name needs at least 3 characters');
  return `entity/${entityName}`;
}

function readRow(db: Database, ns: string, key: string): Row | undefined {
  return selectRows(db, 'ns = ?1 AND key = ?2', [ns, key])[0];
}

function selectRows(db: Database, where: string, params: SqlValue[]): Row[] {
  const statement = db.prepare(`SELECT key, value, created_at, updated_at, expire_at FROM items WHERE ${where}`);
  try {
    statement.bind(params);
    const rows: Row[] = [];
    while (statement.step()) {
      const [key, value, createdAt, updatedAt, expireAt] = statement.get();
      rows.push({
        key: String(key),
        value: JSON.parse(String(value)),
        createdAt: Number(createdAt),
        updatedAt: Number(updatedAt),
        expireAt: expireAt === null ? null : Number(expireAt),
      });
    }
    return rows;
  } finally {
    statement.free();
  }
}

function toItem(row: Row): Item {
  return {
    key: row.key,
    value: row.value,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.expireAt !== null ? { expireTime: new Date(row.expireAt).toISOString() } : {}),
  };
}

const METADATA_PROPS = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', EXPIRE_TIME: 'expireTime' } as const;

function metadataFields(options: unknown): string[] {
  const fields = asObject(options ?? {}).metadataFields;
  return Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [];
}

/** Query results go to the app untouched, so they carry only the metadata it asked for. */
function pickMetadata(item: Item, fields: string[]): Body {
  const out: Body = { key: item.key, value: item.value };
  for (const field of fields) {
    const prop = METADATA_PROPS[field as keyof typeof METADATA_PROPS];
    if (prop && item[prop] !== undefined) out[prop] = item[prop];
  }
  return out;
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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
