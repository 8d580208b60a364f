/**
 * The host page: what Bitbucket is to the app. It loads the app in a hidden frame, paints each
 * ForgeDoc the frame sends (paint.tsx), shows the product's own approval dialog for egress, and,
 * outside the app's area, a developer bar that simulates pushes and shows the local queue drain.
 */
import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BRIDGE_CALLS, type BridgeAnswer, type BridgeRequest, type FrameMessage, type HostMessage, type WireNode } from '../protocol';
import { DevBar, type DevUser } from './DevBar';
import { paintAll, type PaintContext } from './paint';

declare const DECLARED_PROPS: Record<string, string[]>;

/** An egress approval the page asked for, waiting for the person's answer in the product's dialog. */
interface Ask {
  id: number;
  payload: unknown;
  domains: string[];
}

/** Carries a bridge call to the local platform as the signed-in person (the developer bar's "view as"). */
async function carry(request: BridgeRequest): Promise<BridgeAnswer> {
  try {
    const response = await fetch('/bridge', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    return (await response.json()) as BridgeAnswer;
  } catch (error) {
    return { ok: false, message: `the local platform could not be reached: ${(error as Error).message}` };
  }
}

function domainsIn(payload: unknown): string[] {
  const groups = (payload as { egresses?: { configured?: { domain?: string }[] }[] })?.egresses ?? [];
  return groups.flatMap((group) => (group.configured ?? []).map((entry) => String(entry.domain)));
}

/**
 * What an Atlaskit component throws while painting (a prop it cannot take) shows in the app's area as
 * an error, and the host and its developer bar stay up; the next commit paints afresh.
 */
class PaintBoundary extends React.Component<{ commit: number; children: React.ReactNode }, { failed: string | null; at: number }> {
  override state = { failed: null as string | null, at: -1 };
  static getDerivedStateFromError(error: Error) {
    return { failed: error.message };
  }
  static getDerivedStateFromProps(props: { commit: number }, state: { failed: string | null; at: number }) {
    return props.commit === state.at ? null : { failed: null, at: props.commit };
  }
  override componentDidCatch(error: Error): void {
    console.error(`local host: painting the page failed: ${error.message}`);
  }
  override render() {
    if (this.state.failed === null) return this.props.children;
    return (
      <div role="alert" style={{ border: '2px solid #c9372c', padding: 8 }}>
        {`Not shown by the local host: painting the page failed (${this.state.failed})`}
      </div>
    );
  }
}

function App() {
  const params = new URLSearchParams(location.search);
  const [accountId, setAccountId] = useState(params.get('as') ?? '');
  const [users, setUsers] = useState<DevUser[]>([]);
  // Each commit the frame sends, numbered: a field the page controls shows the page's value again at every commit.
  const [painted, setPainted] = useState<{ doc: WireNode; commit: number } | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [frame, setFrame] = useState<HTMLIFrameElement | null>(null);

  // The sandboxed frame's origin is opaque ('null'): it is recognised as the window of our iframe.
  const toFrame = (message: HostMessage) => frame?.contentWindow?.postMessage(message, '*');
  const context: PaintContext = {
    declared: DECLARED_PROPS,
    users: Object.fromEntries(users.map((user) => [user.accountId, user.displayName])),
    commit: painted?.commit ?? 0,
    call: (handler, args) => toFrame({ kind: 'call', handler, args }),
  };

  useEffect(() => {
    const onMessage = (event: MessageEvent<FrameMessage>) => {
      if (!frame || event.source !== frame.contentWindow) return;
      const message = event.data;
      if (message.kind === 'reconcile') setPainted((last) => ({ doc: message.forgeDoc, commit: (last?.commit ?? 0) + 1 }));
      else if (message.kind === 'bridge' && message.cmd === '__permission__egressSet')
        setAsk({ id: message.id, payload: message.payload, domains: domainsIn(message.payload) });
      else if (message.kind === 'bridge' && !BRIDGE_CALLS.has(message.cmd)) {
        // A call the product would carry (showFlag, router.navigate…) but this host does not: said loudly, so a test fails on it.
        const refusal = `the local host does not model the bridge call "${message.cmd}"`;
        console.error(`local host: ${refusal}`);
        toFrame({ kind: 'answer', id: message.id, ok: false, message: refusal });
      } else if (message.kind === 'bridge')
        void carry({ cmd: message.cmd, payload: message.payload, accountId }).then((answer) =>
          toFrame({ kind: 'answer', id: message.id, ...answer }),
        );
      else {
        console.error(`the app: ${message.message}`);
        setErrors((list) => [...list, message.message]);
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [frame, accountId]);

  const answer = (approved: boolean) => {
    if (ask) {
      const { id, payload } = ask;
      void carry({ cmd: '__permission__egressSet', payload, accountId, approved }).then((reply) =>
        toFrame({ kind: 'answer', id, ...reply }),
      );
    }
    setAsk(null);
  };

  const viewAs = (next: string) => {
    setPainted(null);
    setErrors([]);
    setAccountId(next);
    const url = new URL(location.href);
    url.searchParams.set('as', next);
    history.replaceState(null, '', url);
  };

  return (
    <>
      <DevBar
        accountId={accountId}
        onViewAs={viewAs}
        onUsers={(list) => {
          setUsers(list);
          if (!accountId && list[0]) viewAs(list[0].accountId);
        }}
      />
      <main style={{ maxWidth: 1100, margin: '0 auto', padding: '16px 24px' }}>
        <nav aria-label="Bitbucket" style={{ color: '#626f86', fontSize: 13, marginBottom: 12 }}>
          {`Bitbucket › acme / web › Repository settings › Deploy Relay${users.length ? ` (viewed as ${users.find((u) => u.accountId === accountId)?.displayName ?? accountId})` : ''}`}
        </nav>
        {errors.map((error, index) => (
          <div key={index} role="alert" style={{ border: '2px solid #c9372c', padding: 8, marginBottom: 8 }}>
            {`The app reported an error: ${error}`}
          </div>
        ))}
        <section aria-label="Deploy Relay">
          {painted ? (
            <PaintBoundary commit={painted.commit}>{paintAll(painted.doc.children, context)}</PaintBoundary>
          ) : (
            <p>Loading Deploy Relay…</p>
          )}
        </section>
      </main>
      {accountId ? (
        <iframe key={accountId} ref={setFrame} title="Deploy Relay app frame" src="/frame.html" sandbox="allow-scripts" hidden />
      ) : null}
      <ModalTransition>
        {ask ? (
          <ModalDialog onClose={() => answer(false)}>
            <ModalHeader>
              <ModalTitle>Allow Deploy Relay to connect to these domains?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <p>Deploy Relay asks to send requests from its backend to:</p>
              <ul>
                {ask.domains.map((domain) => (
                  <li key={domain}>{domain}</li>
                ))}
              </ul>
              <p>This is Bitbucket&apos;s confirmation, shown to workspace admins (the local platform stands in for it).</p>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => answer(false)}>
                Deny
              </Button>
              <Button appearance="primary" onClick={() => answer(true)}>
                Allow
              </Button>
            </ModalFooter>
          </ModalDialog>
        ) : null}
      </ModalTransition>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
