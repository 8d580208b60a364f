/**
 * The developer bar: the local platform's controls, outside the app's area and not part of the app.
 * It chooses whose page this is, simulates a git push to the repository (the Bitbucket stand-in
 * records it and Forge's push event reaches the app's trigger), and shows the queue draining.
 */
import React, { useEffect, useState } from 'react';

export interface DevUser {
  accountId: string;
  displayName: string;
  role: string;
}

/** GET /dev/state: what the local platform is doing now. */
export interface DevState {
  users: DevUser[];
  queue: { pending: number; delivered: number; retried: number; dead: number };
  receiver: { url: string; signingSecret: string; deliveries: number; verified: number };
  pushes: { ref: string; hash: string; message: string }[];
}

const POLL_MS = 500;

const bar: React.CSSProperties = {
  background: '#1d2125',
  color: '#dee4ea',
  font: '13px system-ui, sans-serif',
  padding: '8px 16px',
  display: 'flex',
  flexWrap: 'wrap',
  gap: 16,
  alignItems: 'center',
};
const field: React.CSSProperties = { display: 'flex', gap: 6, alignItems: 'center' };

export function DevBar({
  accountId,
  onViewAs,
  onUsers,
}: {
  accountId: string;
  onViewAs: (id: string) => void;
  onUsers: (users: DevUser[]) => void;
}) {
  const [state, setState] = useState<DevState | null>(null);
  const [branch, setBranch] = useState('main');
  const [message, setMessage] = useState('Change the landing page');
  const [pushing, setPushing] = useState(false);
  const [result, setResult] = useState('');

  useEffect(() => {
    let stopped = false;
    let first = true;
    const poll = async () => {
      try {
        const next = (await (await fetch('/dev/state')).json()) as DevState;
        if (stopped) return;
        setState(next);
        if (first) onUsers(next.users);
        first = false;
      } catch {
        // The server went away (npm start stopped): keep the last state on screen.
      }
      if (!stopped) setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
    };
    // One poll loop for the bar's lifetime; onUsers is needed once, at the first answer.
  }, []);

  const push = async (event: React.FormEvent) => {
    event.preventDefault();
    setPushing(true);
    try {
      const response = await fetch('/dev/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ branch, message }),
      });
      const answer = (await response.json()) as { ok: boolean; hash?: string; error?: string };
      setResult(answer.ok ? `Pushed ${answer.hash?.slice(0, 7)} to ${branch}` : `Push refused: ${answer.error}`);
    } finally {
      setPushing(false);
    }
  };

  const queue = state?.queue;
  return (
    <header aria-label="Developer bar" style={bar}>
      <strong>Local Forge platform</strong>
      <label style={field}>
        View as
        <select value={accountId} onChange={(e) => onViewAs(e.target.value)}>
          {state?.users.map((user) => (
            <option key={user.accountId} value={user.accountId}>
              {`${user.displayName} (${user.role})`}
            </option>
          ))}
        </select>
      </label>
      <form onSubmit={(e) => void push(e)} style={field} aria-label="Simulate a push">
        <label style={field}>
          Branch
          <input value={branch} onChange={(e) => setBranch(e.target.value)} size={12} />
        </label>
        <label style={field}>
          Commit message
          <input value={message} onChange={(e) => setMessage(e.target.value)} size={24} />
        </label>
        <button type="submit" disabled={pushing || branch.trim() === ''}>
          {pushing ? 'Pushing…' : 'Simulate push'}
        </button>
      </form>
      <output aria-label="Push result">{result}</output>
      <span role="status" aria-label="Queue">
        {queue ? `Queue: ${queue.pending} waiting, ${queue.delivered} delivered, ${queue.retried} retried, ${queue.dead} dead` : 'Queue: …'}
      </span>
      {state ? (
        <details>
          <summary>Demo receiver</summary>
          <div>
            URL <code>{state.receiver.url}</code>
          </div>
          <div>
            Signing secret <code>{state.receiver.signingSecret}</code>
          </div>
          <div>{`${state.receiver.deliveries} deploy request(s) received, ${state.receiver.verified} with both signatures valid`}</div>
        </details>
      ) : null}
    </header>
  );
}
