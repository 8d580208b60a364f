import { useState } from 'react';
import type { CancelView, DeployNowResult, DeploymentView, TargetView, VerifyView } from '../../src/core/settings-api';
import { call } from './api';
import { type Busy, useBusy } from './useBusy';
import { type Appearance, verifyOutcome } from './verify';
import type { PageState } from './usePage';

/** The one dialog open over the page, if any. */
export type Dialog =
  | { kind: 'form'; target: TargetView | null }
  | { kind: 'delete'; target: TargetView }
  | { kind: 'deploy'; target: TargetView }
  | { kind: 'redeploy'; deployment: DeploymentView }
  | { kind: 'cancel'; deployment: DeploymentView }
  | null;

/** What happened last on a row, shown above the tabs where the admin acted. */
export type RowNote = { targetId: string; appearance: Appearance; title: string; text: string };

export interface TargetActions {
  dialog: Dialog;
  open: (dialog: Dialog) => void;
  close: () => void;
  note: RowNote | null;
  /** Keyed `enabled:<id>`, `paused:<id>`, `verify:<id>` and `delete:<id>`: the action on that target waits on the resolver. */
  busy: Pick<Busy, 'isBusy'>;
  setEnabled: (target: TargetView, enabled: boolean) => Promise<void>;
  setPaused: (target: TargetView, paused: boolean) => Promise<void>;
  verify: (target: TargetView) => Promise<void>;
  remove: (target: TargetView) => Promise<void>;
  saved: (target: TargetView) => void;
  queued: (result: DeployNowResult) => void;
  canceled: (deployment: DeploymentView, result: CancelView) => void;
}

/** What the admin does to a target from the table and its dialogs, each ending in a row note. */
export function useTargetActions(state: Pick<PageState, 'replaceTarget' | 'removeTarget' | 'markQueued' | 'reload'>): TargetActions {
  const [dialog, setDialog] = useState<Dialog>(null);
  const [note, setNote] = useState<RowNote | null>(null);
  const busy = useBusy();

  const setSwitch = (target: TargetView, key: 'enabled' | 'paused', on: boolean) =>
    busy.run(`${key}:${target.id}`, async () => {
      const result = await call<Record<typeof key, boolean> & { updatedAt: string }>(key === 'enabled' ? 'setEnabled' : 'setPaused', {
        id: target.id,
        [key]: on,
      });
      // The new updatedAt too: the next save of the target expects it.
      if (result.ok) state.replaceTarget({ ...target, [key]: result.data[key], updatedAt: result.data.updatedAt });
      else setNote({ targetId: target.id, appearance: 'error', title: `${target.name} was not changed`, text: result.error.message });
    });

  const verify = (target: TargetView) =>
    busy.run(`verify:${target.id}`, async () => {
      setNote({ targetId: target.id, appearance: 'information', title: `Verifying ${target.name}…`, text: 'Asking the provider.' });
      const result = await call<VerifyView>('verifyTarget', { id: target.id });
      if (!result.ok)
        return setNote({
          targetId: target.id,
          appearance: 'error',
          title: `${target.name} could not be verified`,
          text: result.error.message,
        });
      setNote({ targetId: target.id, ...verifyOutcome(target.name, result.data), text: result.data.message });
    });

  const remove = (target: TargetView) =>
    busy.run(`delete:${target.id}`, async () => {
      const result = await call<{ id: string }>('deleteTarget', { id: target.id });
      setDialog(null);
      if (!result.ok)
        return setNote({ targetId: target.id, appearance: 'error', title: `${target.name} was not deleted`, text: result.error.message });
      state.removeTarget(target.id);
      setNote({ targetId: target.id, appearance: 'success', title: `${target.name} was deleted`, text: 'Its deployment history is kept.' });
    });

  return {
    dialog,
    open: setDialog,
    close: () => setDialog(null),
    note,
    busy,
    setEnabled: (target, enabled) => setSwitch(target, 'enabled', enabled),
    setPaused: (target, paused) => setSwitch(target, 'paused', paused),
    verify,
    remove,
    saved: (target) => {
      state.replaceTarget(target);
      setDialog(null);
      setNote({
        targetId: target.id,
        appearance: 'success',
        title: `${target.name} was saved`,
        text: 'Pushes that match its rules now deploy to it.',
      });
    },
    canceled: (deployment, result) => {
      setDialog(null);
      setNote({
        targetId: deployment.targetId,
        appearance: 'information',
        title: `Cancel of ${deployment.ref} asked`,
        text: result.message,
      });
      void state.reload();
    },
    queued: (result) => {
      state.markQueued(result);
      setDialog(null);
      setNote({
        targetId: result.targetId,
        appearance: 'information',
        title: `Deploy of ${result.branch} queued`,
        text: `${result.commit.slice(0, 7)} ${result.commitMessage}`.trim(),
      });
    },
  };
}
