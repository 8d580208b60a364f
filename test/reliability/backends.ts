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
  /** Requests per `<repository> <target> <ref> <commit>` (one push), failed ones included. */
  attempts: Map<string, number>;
  observe(request: ServedRequest): void;
  /** The target a request is for, so the front can hold at most one of its requests at a time. */
  callerOf(request: ServedRequest): string;
  answer(request: ServedRequest): BackendAnswer;
}

export function webhookBackend(secret: string): WebhookBackend {
  const deliveries: WebhookDelivery[] = [];
  const attempts = new Map<string, number>();
  const parse = (request: ServedRequest): WebhookBody => JSON.parse(request.body) as WebhookBody;
  return {
    deliveries,
    attempts,
    observe(request) {
      const body = parse(request);
      const key = `${body.repository.uuid} ${body.target.id} ${body.ref.name} ${body.commit.hash}`;
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
        verifyStandardWebhooks(secret, request.body, request.headers);
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

export function digitalOceanBackend(random: () => number): DigitalOceanBackend {
  const deployments: VendorDeployment[] = [];
  const courses = new Map<string, Course>();
  const segments = (request: ServedRequest) => new URL(request.path, 'http://vendor').pathname.split('/');
  return {
    deployments,
    // /v2/apps/{app id}/deployments[/{deployment id}]
    callerOf: (request) => `do:${segments(request)[3] ?? ''}`,
    answer(request) {
      const [, , , appId = '', , deploymentId] = segments(request);
      if (request.method === 'POST') {
        const id = `dep-${deployments.length + 1}`;
        deployments.push({ appId, id });
        courses.set(id, courseOf(random));
        return { status: 200, body: { deployment: { id, phase: 'PENDING_BUILD' } } };
      }
      const course = courses.get(deploymentId ?? '');
      if (!course || 'unreadable' in course)
        return { status: 404, body: { id: 'not_found', message: 'The resource you requested could not be found.' } };
      const phase = course.phases.length > 1 ? (course.phases.shift() as string) : (course.phases[0] as string);
      return { status: 200, body: { deployment: { id: deploymentId, phase } } };
    },
  };
}
