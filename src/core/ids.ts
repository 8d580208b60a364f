import { createHash, randomBytes } from 'node:crypto';

const BRACED_UUID = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;

export const isBracedUuid = (value: string): boolean => BRACED_UUID.test(value);

/** Forge KVS keys refuse braces, and Bitbucket wraps every UUID in them: keys use the bare form. */
export const bareUuid = (uuid: string): string => uuid.replace(/^\{|\}$/g, '').toLowerCase();

export const bracedUuid = (uuid: string): string => `{${bareUuid(uuid)}}`;

/** A short, stable digest for ids derived from other ids (delivery ids, job keys). */
export const digest = (...parts: readonly string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);

export const randomId = (prefix: string): string => `${prefix}${randomBytes(8).toString('hex')}`;
