/**
 * Reads manifest.yml the way the Forge platform does: modules name functions, functions name a
 * handler `file.export` under src/. A handler that names a missing file or export fails here, at the
 * first invocation, with the same kind of message a deployed app would log.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { hostOfAddress } from '../src/core/egress';

/** A Forge function handler: the platform calls it with (payload, context) and awaits the result. */
export type Handler = (payload: unknown, context: unknown) => unknown;

export interface FunctionDef {
  key: string;
  /** As written in the manifest, e.g. `index.pushTrigger`. */
  handler: string;
  /** Module path under src/, without extension, e.g. `index` or `entry/push-trigger/index`. */
  file: string;
  exportName: string;
  timeoutSeconds?: number;
  /** `runtime.memoryMB`: the memory Forge gives the function (and bills by); else app.runtime's, else 512 MB. */
  memoryMB: number;
}

export interface TriggerDef {
  key: string;
  functionKey: string;
  events: string[];
}
export interface ConsumerDef {
  key: string;
  queue: string;
  functionKey: string;
}
export interface UiModuleDef {
  type: string;
  key: string;
  resolverFunctionKey?: string;
  resource?: string;
  title?: string;
}
export interface ResourceDef {
  key: string;
  path: string;
}

export interface LocalManifest {
  root: string;
  appId: string;
  functions: Map<string, FunctionDef>;
  triggers: TriggerDef[];
  consumers: ConsumerDef[];
  uiModules: UiModuleDef[];
  resources: ResourceDef[];
  /** Hosts (or `*.host` / `*` patterns) from permissions.external.fetch.backend, scheme and path removed. */
  egressHosts: string[];
  /** `permissions.external.configurable.enabled`: whether workspace admins may approve egress of their own. */
  customerEgress: boolean;
  scopes: string[];
  /** Custom entities under app.storage.entities: name → attribute → type. */
  entities: EntityDefs;
}

export type EntityAttributeType = 'string' | 'integer' | 'float' | 'boolean' | 'any';
export type EntityDefs = ReadonlyMap<string, ReadonlyMap<string, EntityAttributeType>>;

const keyed = z.object({ key: z.string() });
const functionSchema = keyed.extend({
  handler: z.string(),
  timeoutSeconds: z.number().optional(),
  runtime: z.object({ memoryMB: z.number().int().min(128).max(4096).optional() }).optional(),
});
/** @forge/manifest's schema: "between 128 MB and 1024 MB … The default value is 512 MB" (per function it allows up to 4096). */
const DEFAULT_MEMORY_MB = 512;
const triggerSchema = keyed.extend({ function: z.string(), events: z.array(z.string()) });
const consumerSchema = keyed.extend({ queue: z.string(), function: z.string().optional(), resolver: z.unknown().optional() });
const uiModuleSchema = keyed.extend({
  resource: z.string().optional(),
  title: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  resolver: z.object({ function: z.string() }).optional(),
});
const egressEntry = z.union([z.string(), z.object({ address: z.string() })]);

const manifestSchema = z.object({
  modules: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))).default({}),
  resources: z.array(z.object({ key: z.string(), path: z.string() })).default([]),
  app: z.object({
    id: z.string(),
    runtime: z.object({ memoryMB: z.number().int().min(128).max(1024).optional() }).optional(),
    storage: z
      .object({
        entities: z
          .array(
            z.object({
              name: z.string(),
              attributes: z.record(z.string(), z.object({ type: z.enum(['string', 'integer', 'float', 'boolean', 'any']) })),
            }),
          )
          .default([]),
      })
      .optional(),
  }),
  permissions: z
    .object({
      scopes: z.array(z.string()).default([]),
      external: z
        .object({
          fetch: z
            .object({ backend: z.array(egressEntry).default([]) })
            .partial()
            .optional(),
          configurable: z.object({ enabled: z.boolean() }).optional(),
        })
        .partial()
        .optional(),
    })
    .default({ scopes: [] }),
});

/** Module kinds that are not UI extension points: everything else with a resolver is treated as UI. */
const BACKEND_MODULE_KINDS = new Set(['function', 'trigger', 'consumer', 'scheduledTrigger', 'webtrigger']);

export function loadManifest(root: string): LocalManifest {
  const file = path.join(root, 'manifest.yml');
  return parseManifest(readFileSync(file, 'utf8'), root);
}

export function parseManifest(text: string, root: string): LocalManifest {
  const raw = manifestSchema.parse(parseYaml(text));
  const modules = raw.modules;
  const functions = new Map<string, FunctionDef>();
  const appMemoryMB = raw.app.runtime?.memoryMB ?? DEFAULT_MEMORY_MB;
  for (const entry of parseEach(functionSchema, modules.function, 'function')) {
    functions.set(entry.key, toFunctionDef(entry, appMemoryMB));
  }
  const triggers = parseEach(triggerSchema, modules.trigger, 'trigger').map((t) => ({
    key: t.key,
    functionKey: t.function,
    events: t.events,
  }));
  const consumers = parseEach(consumerSchema, modules.consumer, 'consumer').map(toConsumerDef);
  const manifest: LocalManifest = {
    root,
    appId: raw.app.id,
    functions,
    triggers,
    consumers,
    uiModules: uiModulesOf(modules),
    resources: raw.resources,
    egressHosts: (raw.permissions.external?.fetch?.backend ?? []).map((e) => hostOfAddress(typeof e === 'string' ? e : e.address)),
    scopes: raw.permissions.scopes,
    customerEgress: raw.permissions.external?.configurable?.enabled === true,
    entities: new Map(
      (raw.app.storage?.entities ?? []).map((e) => [e.name, new Map(Object.entries(e.attributes).map(([name, a]) => [name, a.type]))]),
    ),
  };
  checkFunctionReferences(manifest);
  return manifest;
}

function parseEach<T>(schema: z.ZodType<T>, entries: unknown[] | undefined, kind: string): T[] {
  return (entries ?? []).map((entry, i) => {
    const result = schema.safeParse(entry);
    if (!result.success) throw new Error(`manifest.yml: modules.${kind}[${i}] is malformed: ${z.prettifyError(result.error)}`);
    return result.data;
  });
}

function toFunctionDef(entry: z.infer<typeof functionSchema>, appMemoryMB: number): FunctionDef {
  const dot = entry.handler.lastIndexOf('.');
  if (dot <= 0 || dot === entry.handler.length - 1) {
    throw new Error(`manifest.yml: function ${entry.key} has handler "${entry.handler}"; expected "<file>.<export>"`);
  }
  return {
    key: entry.key,
    handler: entry.handler,
    file: entry.handler.slice(0, dot),
    exportName: entry.handler.slice(dot + 1),
    timeoutSeconds: entry.timeoutSeconds,
    memoryMB: entry.runtime?.memoryMB ?? appMemoryMB,
  };
}

function toConsumerDef(entry: z.infer<typeof consumerSchema>): ConsumerDef {
  // @forge/events 1.x consumers named a resolver method; 2.x+ (installed here) calls a function directly.
  if (!entry.function)
    throw new Error(`manifest.yml: consumer ${entry.key} has no "function" (resolver-style consumers are @forge/events 1.x)`);
  return { key: entry.key, queue: entry.queue, functionKey: entry.function };
}

function uiModulesOf(modules: Record<string, Array<Record<string, unknown>>>): UiModuleDef[] {
  const out: UiModuleDef[] = [];
  for (const [type, entries] of Object.entries(modules)) {
    if (BACKEND_MODULE_KINDS.has(type)) continue;
    for (const entry of parseEach(uiModuleSchema, entries, type)) {
      out.push({
        type,
        key: entry.key,
        resolverFunctionKey: entry.resolver?.function,
        resource: entry.resource,
        title: typeof entry.title === 'string' ? entry.title : undefined,
      });
    }
  }
  return out;
}

function checkFunctionReferences(m: LocalManifest): void {
  const refs = [
    ...m.triggers.map((t) => [`trigger ${t.key}`, t.functionKey] as const),
    ...m.consumers.map((c) => [`consumer ${c.key}`, c.functionKey] as const),
    ...m.uiModules.flatMap((u) => (u.resolverFunctionKey ? [[`${u.type} ${u.key}`, u.resolverFunctionKey] as const] : [])),
  ];
  for (const [owner, key] of refs) {
    if (!m.functions.has(key)) throw new Error(`manifest.yml: ${owner} names function "${key}", which modules.function does not define`);
  }
}

/**
 * Loads a function's handler as Forge does: `<root>/src/<file>` must exist and export `<exportName>`
 * as a function. `require` goes through whatever TypeScript loader the process runs (jest's SWC, tsx).
 */
export function loadHandler(manifest: LocalManifest, functionKey: string): Handler {
  const def = manifest.functions.get(functionKey);
  if (!def) throw new Error(`manifest.yml defines no function "${functionKey}"`);
  const modulePath = path.join(manifest.root, 'src', def.file);
  let resolved: string;
  try {
    resolved = require.resolve(modulePath);
  } catch {
    throw new Error(`function ${functionKey}: handler "${def.handler}" names src/${def.file}, which does not exist`);
  }
  const exported: unknown = (require(resolved) as Record<string, unknown>)[def.exportName];
  if (typeof exported !== 'function') {
    throw new Error(`function ${functionKey}: handler "${def.handler}": src/${def.file} has no exported function "${def.exportName}"`);
  }
  return exported as Handler;
}

export function findTimeoutSeconds(manifest: LocalManifest, functionKey: string, fallback: number): number {
  return manifest.functions.get(functionKey)?.timeoutSeconds ?? fallback;
}
