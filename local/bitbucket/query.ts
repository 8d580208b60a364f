/** The slice of Bitbucket's filtering (BBQL), sorting and paging that the app's calls use. */
import { API_ROOT, HttpError } from './http';

export interface Condition {
  field: string;
  /** `=` exact match; `~` case-insensitive "contains". */
  op: '=' | '~';
  value: string;
}

const CLAUSE = /^\s*([a-z_][a-z0-9_.]*)\s*(=|~)\s*"((?:[^"\\]|\\.)*)"\s*$/i;

/** One `field op "value"` clause; anything richer is refused like Bitbucket refuses a bad query (400). */
export function parseCondition(q: string, allowedFields: readonly string[]): Condition {
  const match = CLAUSE.exec(q);
  const [, field, op, raw] = match ?? [];
  if (field === undefined || raw === undefined || (op !== '=' && op !== '~')) {
    throw new HttpError(400, `Invalid query: ${q}`, 'The stand-in understands one clause: field = "value" or field ~ "value".');
  }
  if (!allowedFields.includes(field)) throw new HttpError(400, `Invalid field name: ${field}`);
  return { field, op, value: raw.replace(/\\(.)/g, '$1') };
}

export function matches(condition: Condition, actual: string): boolean {
  return condition.op === '=' ? actual === condition.value : actual.toLowerCase().includes(condition.value.toLowerCase());
}

export interface PageRequest {
  page: number;
  pagelen: number;
}

function positiveInt(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new HttpError(400, `Invalid ${name}: ${raw}`);
  return value;
}

/** Bitbucket caps pagelen per endpoint (the spec: 100 for most lists, 5000 for diffstat) rather than failing. */
export function readPage(params: URLSearchParams, pagelenDefault: number, pagelenMax: number): PageRequest {
  return {
    page: positiveInt(params, 'page') ?? 1,
    pagelen: Math.min(positiveInt(params, 'pagelen') ?? pagelenDefault, pagelenMax),
  };
}

export interface Page<T> {
  pagelen: number;
  size: number;
  page: number;
  values: T[];
  next?: string;
}

/**
 * One page of `items`; `next` repeats the request's own query with the following page number,
 * as a full URL, because clients are told to follow it rather than build their own.
 */
export function pageOf<T>(items: readonly T[], request: PageRequest, path: string, params: URLSearchParams): Page<T> {
  const start = (request.page - 1) * request.pagelen;
  const page: Page<T> = {
    pagelen: request.pagelen,
    size: items.length,
    page: request.page,
    values: items.slice(start, start + request.pagelen),
  };
  if (start + request.pagelen < items.length) {
    const nextParams = new URLSearchParams(params);
    nextParams.set('page', String(request.page + 1));
    page.next = `${API_ROOT}${path}?${nextParams.toString()}`;
  }
  return page;
}
