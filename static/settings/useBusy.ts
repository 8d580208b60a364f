import { useRef, useState } from 'react';

export interface Busy {
  /** Whether the action named `key` waits on the resolver: its button then shows isLoading. */
  isBusy: (key: string) => boolean;
  /**
   * Runs `action` as `key` unless that one is still waiting: a second press before the answer does
   * nothing, even one that reaches the page before the button re-rendered as loading.
   */
  run: (key: string, action: () => Promise<void>) => Promise<void>;
}

export function useBusy(): Busy {
  // The ref answers at once; the state re-renders the buttons.
  const inFlight = useRef(new Set<string>());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const changed = () => setBusy(new Set(inFlight.current));
  return {
    isBusy: (key) => busy.has(key),
    run: async (key, action) => {
      if (inFlight.current.has(key)) return;
      inFlight.current.add(key);
      changed();
      try {
        await action();
      } finally {
        inFlight.current.delete(key);
        changed();
      }
    },
  };
}
