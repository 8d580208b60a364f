import type * as z from 'zod/mini';
import type { HttpClient } from './http';
import type { DeployJob } from './job';
import type { Logger } from './log';
import type { Target } from './targets';

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
  /** Asked for, shown and sent only while the target's `mode` setting is this (a provider with a hook and an API). */
  mode?: 'hook' | 'api';
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

/** What a provider is asked when the answer to a deploy request was lost: did that request arrive? */
export interface LostRequest {
  /** The commit the request was for. */
  commit: string;
  /** When the lost request was allowed to leave: a deploy the vendor started before it is not ours. */
  sentAt: number;
}

/**
 * How a provider deploys a finished deploy's commit again (the history's *Redeploy this commit*):
 * - `commit`: its deploy request names the commit, so the request a push makes deploys that commit;
 * - `rollback`: the vendor's own rollback, to the deployment it made then (`needs` says by what);
 * - `none`: neither, and why (the page shows it on the disabled button).
 */
export type RedeployWay = { by: 'commit' } | { by: 'rollback'; needs: 'vendorId' | 'commit' } | { by: 'none'; why: string };

/** The earlier deploy a rollback returns to: its commit and the vendor's id for it. */
export interface RollbackTo {
  commit: string;
  vendorId: string | null;
}

/**
 * The small interface every PaaS sits behind, defined here in the core and implemented by each folder
 * under src/providers. Faults surface as HttpFault (retried through the queue) and refusals as
 * HttpRejected (failed at once), both from the one HTTP choke point (core/http.ts).
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
  /**
   * Optional: providers that can list recent deploys find the one a lost request started (matched by
   * commit and time), so it is followed instead of started twice; null when the vendor has none.
   */
  findDeploy?(call: ProviderCall<S>, lost: LostRequest): Promise<StartResult | null>;
  verify(call: ProviderCall<S>): Promise<VerifyResult>;
  redeploy(settings: S): RedeployWay;
  /** Providers whose `redeploy` is a rollback: asks the vendor to return to `to` (a new deploy, followed like any other). */
  rollback?(call: DeployCall<S>, to: RollbackTo): Promise<StartResult>;
  /**
   * Optional: providers whose API stops a running deploy, by the id `start` gave it (the page's
   * *Cancel*). Resolves with what was asked; the poller's next status read records how the deploy
   * ended. A refusal (the deploy already finished, say) is an HttpRejected with the vendor's words.
   */
  cancel?(call: ProviderCall<S>, vendorId: string): Promise<string>;
  /**
   * Optional: providers that can make a preview per pull request (core/previews.ts). `deploy` makes or
   * updates the preview of the job's pull request from its commit; `teardown` removes it. Only these
   * providers' targets can be preview targets.
   */
  previews?: {
    deploy(call: DeployCall<S>): Promise<StartResult>;
    teardown(call: DeployCall<S>): Promise<StartResult>;
    /** Why these settings cannot make previews (a Vercel deploy hook is bound to one branch), in the form's words; null when they can. */
    unavailable?(settings: S): string | null;
  };
}

/** A target's provider with its settings already checked, so callers need not juggle provider generics. */
export interface BoundProvider {
  provider: DeployProvider<never>;
  settings: never;
  hosts: string[];
}
