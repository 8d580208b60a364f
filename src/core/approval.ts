import * as z from 'zod/mini';

/**
 * Approval before deploy: a target may make each deploy wait until a repository admin approves it on
 * the settings page. The decision is its own value, written once (the first decision wins, whoever
 * makes it), then read by the waiting job, which deploys or ends as rejected; an approval that does
 * not come within the target's limit ends the deploy as blocked.
 */
export const approvalDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  /** The admin's Atlassian account. */
  by: z.string(),
  at: z.number(),
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** Why `accountId` may not decide on a deploy pushed by `pusher`, or null when they may. */
export function mayNotDecide(accountId: string, pusher: string | null, approverNotPusher: boolean): string | null {
  if (approverNotPusher && pusher !== null && pusher === accountId) {
    return 'This target needs someone other than whoever pushed the deploy to approve it; ask another admin.';
  }
  return null;
}
