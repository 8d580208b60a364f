import * as z from 'zod/mini';

/**
 * zod/mini ships without messages ("Invalid input" for everything); the English locale gives users
 * sentences such as "Too small: expected string to have >=1 characters".
 */
z.config(z.locales.en());

/** Turns zod issues into `path: message` lines a person can act on. */
export const describeIssues = (error: z.core.$ZodError): string[] =>
  error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
