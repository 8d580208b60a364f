/**
 * The host page: what Bitbucket is to the app. It loads the app in a hidden frame, paints each
 * ForgeDoc the frame sends (paint.tsx), shows the product's own approval dialog for egress, and,
 * outside the app's area, a developer bar that simulates pushes and shows the local queue drain.
 */
import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { FrameMessage, HostMessage, WireNode } from '../protocol';
import { DevBar, type DevUser } from './DevBar';
import { paintAll, type PaintContext } from './paint';

declare const DECLARED_PROPS: Record<string, string[]>;

interface Ask {
  id: number;
  domains: string[];
}

function domainsIn(payload: unknown): string[] {
  const groups = (payload as { egresses?: { configured?: { domain?: string }[] }[] })?.egresses ?? [];
  return groups.flatMap((group) => (group.configured ?? []).map((entry) => String(entry.domain)));
}

function App() {
  const params = new URLSearchParams(location.search);
  const [accountId, setAccountId] = useState(params.get('as') ?? '');
  const [users, setUsers] = useState<DevUser[]>([]);
  const [doc, setDoc] = useState<WireNode | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [frame, setFrame] = useState<HTMLIFrameElement | null>(null);

  const toFrame = (message: HostMessage) => frame?.contentWindow?.postMessage(message, location.origin);
  const context: PaintContext = {
    declared: DECLARED_PROPS,
    users: Object.fromEntries(users.map((user) => [user.accountId, user.displayName])),
    call: (handler, args) => toFrame({ kind: 'call', handler, args }),
  };

  useEffect(() => {
    const onMessage = (event: MessageEvent<FrameMessage>) => {
      if (event.origin !== location.origin || event.source !== frame?.contentWindow) return;
      const message = event.data;
      if (message.kind === 'reconcile') setDoc(message.forgeDoc);
      else if (message.kind === 'ask') setAsk({ id: message.id, domains: domainsIn(message.payload) });
      else {
        console.error(`the app: ${message.message}`);
        setErrors((list) => [...list, message.message]);
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [frame]);

  const answer = (approved: boolean) => {
    if (ask) toFrame({ kind: 'answer', id: ask.id, approved });
    setAsk(null);
  };

  const viewAs = (next: string) => {
    setDoc(null);
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
        <section aria-label="Deploy Relay">{doc ? paintAll(doc.children, context) : <p>Loading Deploy Relay…</p>}</section>
      </main>
      {accountId ? (
        <iframe
          key={accountId}
          ref={setFrame}
          title="Deploy Relay app frame"
          src={`/frame.html?as=${encodeURIComponent(accountId)}`}
          hidden
        />
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
