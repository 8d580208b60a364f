import { verifyHubSignature, verifyStandardWebhooks } from '../../local/receiver';
import type { BackendAnswer, ServedRequest } from './faulty-server';

/**
 * What sits behind the faulty fronts: a signed-webhook receiver that checks both signatures with code
 * that is not the app's, and a DigitalOcean App Platform API whose deployments move through phases
 * read by read. Both remember everything they acted on, for the tally.
 */

/** One deploy request a receiver acted on. */
export interface WebhookDelivery {
  repository: string;
  target: string;
  commit: string;
  deliveryId: string;
  signaturesValid: boolean;
}

interface WebhookBody {
  delivery_id: string;
  target: { id: string };
  repository: { uuid: string };
  ref: { name: string };
  commit: { hash: string };
}

export interface WebhookBackend {
  deliveries: WebhookDelivery[];
  /** Requests per `<delivery id> <target>` (one push and target), failed ones included. */
  attempts: Map<string, number>;
  observe(request: ServedRequest): void;
  /** The target a request is for, so the front can hold at most one of its requests at a time. */
  callerOf(request: ServedRequest): string;
  answer(request: ServedRequest): BackendAnswer;
}

export function webhookBackend(secret: string, now: () => number): WebhookBackend {
  const deliveries: WebhookDelivery[] = [];
  const attempts = new Map<string, number>();
  const parse = (request: ServedRequest): WebhookBody => JSON.parse(request.body) as WebhookBody;
  return {
    deliveries,
    attempts,
    observe(request) {
      const body = parse(request);
      const key = `${body.delivery_id} ${body.target.id}`;
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
    },
    callerOf(request) {
      const body = parse(request);
      return `${body.repository.uuid}:${body.target.id}`;
    },
    answer(request) {
      const body = parse(request);
      const hub = request.headers['x-hub-signature-256'];
      const signaturesValid =
        verifyHubSignature(secret, request.body, typeof hub === 'string' ? hub : undefined) &&
        verifyStandardWebhooks(secret, request.body, request.headers, now);
      deliveries.push({
        repository: body.repository.uuid,
        target: body.target.id,
        commit: body.commit.hash,
        deliveryId: body.delivery_id,
        signaturesValid,
      });
      return signaturesValid ? { status: 200, body: { accepted: true } } : { status: 401, body: { message: 'bad signature' } };
    },
  };
}

/** How a DigitalOcean deployment goes: the phases its status reads return, the last one repeating. */
type Course = { phases: string[] } | { unreadable: true };

export interface VendorDeployment {
  appId: string;
  id: string;
  createdAt: number;
}

export interface DigitalOceanBackend {
  deployments: VendorDeployment[];
  callerOf(request: ServedRequest): string;
  answer(request: ServedRequest): BackendAnswer;
}

/**
 * Most deployments build for a read or three and go ACTIVE; some end ERROR, CANCELED or SUPERSEDED;
 * a few never finish (followed until the hour is up: outcome unknown) or cannot be read (404: unknown).
 */
function courseOf(random: () => number): Course {
  const building = Array.from({ length: Math.floor(random() * 3) }, () => 'BUILDING');
  const roll = random();
  if (roll < 0.75) return { phases: [...building, 'ACTIVE'] };
  if (roll < 0.85) return { phases: [...building, 'ERROR'] };
  if (roll < 0.9) return { phases: [...building, 'CANCELED'] };
  if (roll < 0.95) return { phases: [...building, 'SUPERSEDED'] };
  if (roll < 0.97) return { phases: ['BUILDING'] };
  return { unreadable: true };
}

/**
 * `now` is the vendor's clock: in the scenario the platform's virtual clock, as a real vendor's clock
 * and Forge's agree (the app looks for a lost request by when it left).
 */
export function digitalOceanBackend(random: () => number, now: () => number): DigitalOceanBackend {
  const deployments: VendorDeployment[] = [];
  const courses = new Map<string, Course>();
  const segments = (request: ServedRequest) => new URL(request.path, 'http://vendor').pathname.split('/');
  return {
    deployments,
    // /v2/apps/{app id}/deployments[/{deployment id}]
    callerOf: (request) => `do:${segments(request)[3] ?? ''}`,
    answer(request) {
      const [, , , appId = '', , deploymentId] = segments(request);
      const created = (d: VendorDeployment) => new Date(d.createdAt).toISOString();
      if (request.method === 'POST') {
        const id = `dep-${deployments.length + 1}`;
        const deployment = { appId, id, createdAt: now() };
        deployments.push(deployment);
        courses.set(id, courseOf(random));
        return { status: 200, body: { deployment: { id, phase: 'PENDING_BUILD', created_at: created(deployment) } } };
      }
      if (!deploymentId) {
        // The app's deployments, newest first (GET /v2/apps/{app_id}/deployments).
        const mine = deployments.filter((d) => d.appId === appId).reverse();
        return {
          status: 200,
          body: { deployments: mine.slice(0, 20).map((d) => ({ id: d.id, phase: 'BUILDING', created_at: created(d) })) },
        };
      }
      const course = courses.get(deploymentId ?? '');
      if (!course || 'unreadable' in course)
        return { status: 404, body: { id: 'not_found', message: 'The resource you requested could not be found.' } };
      const phase = course.phases.length > 1 ? (course.phases.shift() as string) : (course.phases[0] as string);
      return { status: 200, body: { deployment: { id: deploymentId, phase } } };
    },
  };
}
