import { createLogger, type Logger } from '../core/log';

/** Forge collects what functions print; every line is JSON and redacted before it is written. */
export const appLogger: Logger = createLogger((line) => console.log(line), { app: 'deploy-relay' });
