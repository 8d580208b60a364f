import type * as z from 'zod/mini';
import type { HttpClient } from '../core/http';
import type { DeployJob } from '../core/job';
import type { Logger } from '../core/log';
import type { Target } from '../core/targets';

/** One field of a provider's form; the settings page builds itself from these. */
export interface ProviderField {
  key: string;
  label: string;
  kind: 'text' | 'url' | 'select' | 'boolean';
  required: boolean;
  /** Kept in Forge's secret store, write-only in the UI, redacted from every log. */
  secret: boolean;
  help?: string;
  options?: readonly { value: string; label: string }[];
}

export interface RepositoryInfo {
  uuid: string;
  workspaceUuid: string;
  fullName: string | null;
}

export interface ProviderCall<S> {
  target: Target;
  settings: S;
  secrets: Readonly<Record<string, string>>;
  repository: RepositoryInfo;
  http: HttpClient;
  log: Logger;
  now: () => number;
}

export interface DeployCall<S> extends ProviderCall<S> {
  job: DeployJob;
}

/** What a provider says once it has accepted a deploy. */
export interface StartResult {
  /** `requested` when the vendor cannot report the outcome (hooks); `in_progress` when it can be followed. */
  state: 'requested' | 'in_progress' | 'succeeded';
  message: string;
  vendorId: string | null;
  url: string | null;
}

/** A followed deploy's state as the vendor reports it, mapped to ours. */
export interface StatusResult {
  state: 'in_progress' | 'succeeded' | 'failed' | 'superseded' | 'canceled';
  message: string;
  url: string | null;
}

export interface VerifyResult {
  ok: boolean;
  message: string;
  /** True when only the shape of a URL could be checked (hooks have no read-only call). */
  shapeOnly: boolean;
}

/**
 * The small interface every PaaS sits behind (architecture.md, habit 2). Faults surface as HttpFault
 * (retried through the queue) and refusals as HttpRejected (failed at once), both from the choke point.
 */
export interface DeployProvider<S = unknown> {
  id: string;
  title: string;
  fields: readonly ProviderField[];
  settingsSchema: z.ZodMiniType<S>;
  /** Hosts the provider calls for these settings: checked against the manifest's egress list. */
  hosts(settings: S): string[];
  start(call: DeployCall<S>): Promise<StartResult>;
  /** Optional: providers whose API reports an outcome; hooks have none and end as `requested`. */
  status?(call: ProviderCall<S>, vendorId: string): Promise<StatusResult>;
  verify(call: ProviderCall<S>): Promise<VerifyResult>;
}
