import React, { useState } from 'react';
import {
  Button,
  ErrorMessage,
  Inline,
  LoadingButton,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  SectionMessage,
  Select,
  Stack,
  Text,
  TextArea,
  Textfield,
  Toggle,
} from '@forge/react';
import type { BranchSearch, ProviderFieldView, ProviderView, SaveTargetInput, TargetView, VerifyView } from '../../src/core/settings-api';
import { destinationOf } from '../../src/core/secrets';
import { type Freeze, onceLines, weeklyLines } from '../../src/core/freeze';
import { DEFAULT_APPROVAL_WAIT_HOURS, DEFAULT_BUILD_WAIT_MINUTES } from '../../src/core/targets';
import { call } from './api';
import { askApproval } from './egress';
import { Field, LabelledToggle } from './fields';
import { secretHint, splitList } from './format';
import { useBusy } from './useBusy';
import { type Appearance, verifyOutcome } from './verify';

interface Props {
  target: TargetView | null;
  providers: ProviderView[];
  onSaved: (target: TargetView) => void;
  onClose: () => void;
}

type SecretEdit = { kind: 'keep' } | { kind: 'replace'; value: string } | { kind: 'clear' };

/** A whole number as typed, or the text itself: the save then says what is wrong with it, on its field. */
const wholeOrTyped = (typed: string): number | string => (/^\d+$/.test(typed.trim()) ? Number(typed.trim()) : typed);

const DURING_FREEZE: { value: Freeze['during']; label: string }[] = [
  { value: 'wait', label: 'Waits until the freeze ends, then deploys' },
  { value: 'skip', label: 'Is skipped' },
];

/** Where a new target's freeze is read, unless the admin names another zone: the admin's own. */
const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** The add/edit form, built from the provider's own field definitions: a new provider needs no code here. */
export function TargetForm({ target, providers, onSaved, onClose }: Props) {
  const [name, setName] = useState(target?.name ?? '');
  const [environment, setEnvironment] = useState(target?.environment ?? 'production');
  const [providerId, setProviderId] = useState(target?.provider ?? providers[0]?.id ?? '');
  const [settings, setSettings] = useState<Record<string, string | boolean>>(
    Object.fromEntries(Object.entries(target?.settings ?? {}).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])),
  );
  const [secrets, setSecrets] = useState<Record<string, SecretEdit>>({});
  const [branches, setBranches] = useState((target?.rules.branches ?? ['main']).join(', '));
  const [tags, setTags] = useState((target?.rules.tags ?? []).join(', '));
  const [include, setInclude] = useState((target?.rules.paths.include ?? []).join(', '));
  const [exclude, setExclude] = useState((target?.rules.paths.exclude ?? []).join(', '));
  const [previews, setPreviews] = useState(target?.preview !== null && target?.preview !== undefined);
  const [allowForks, setAllowForks] = useState(target?.preview?.allowForks ?? false);
  const [skipMarkers, setSkipMarkers] = useState(target?.options.skipMarkers ?? true);
  const [coalesce, setCoalesce] = useState(target?.options.coalesce ?? true);
  const [reportOnCommit, setReportOnCommit] = useState(target?.options.reportOnCommit ?? true);
  const [waitForBuilds, setWaitForBuilds] = useState(target?.options.waitForBuilds ?? false);
  const [buildKeys, setBuildKeys] = useState((target?.options.buildKeys ?? []).join(', '));
  const [buildWait, setBuildWait] = useState(String(target?.options.buildWaitMinutes ?? DEFAULT_BUILD_WAIT_MINUTES));
  const [requireApproval, setRequireApproval] = useState(target?.options.requireApproval ?? false);
  const [approverNotPusher, setApproverNotPusher] = useState(target?.options.approverNotPusher ?? false);
  const [approvalWait, setApprovalWait] = useState(String(target?.options.approvalWaitHours ?? DEFAULT_APPROVAL_WAIT_HOURS));
  // A target without windows keeps no zone of its own (it is saved as UTC): the admin's is offered.
  const frozenBefore = target ? target.options.freeze.weekly.length + target.options.freeze.once.length > 0 : false;
  const [freezeZone, setFreezeZone] = useState(frozenBefore && target ? target.options.freeze.timeZone : browserTimeZone());
  const [freezeWeekly, setFreezeWeekly] = useState(weeklyLines(target?.options.freeze.weekly ?? []));
  const [freezeOnce, setFreezeOnce] = useState(onceLines(target?.options.freeze.once ?? []));
  const [freezeDuring, setFreezeDuring] = useState<Freeze['during']>(target?.options.freeze.during ?? 'wait');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const busy = useBusy();
  const [matching, setMatching] = useState<string | null>(null);
  /** What Test connection last answered, and the values (`input`) it answered for: shown only while the form holds them. */
  const [tested, setTested] = useState<{ appearance: Appearance; title: string; text: string; input: string } | null>(null);
  /** Origins the last save needs a workspace admin to approve (customer-managed egress). */
  const [approval, setApproval] = useState<string[] | null>(null);

  const provider = providers.find((p) => p.id === providerId);
  // Only the chosen mode's fields are shown, and only what is shown is sent: a hook URL typed before
  // switching to API mode does not go along.
  const fields = provider?.fields.filter((f) => f.mode === null || f.mode === settings.mode) ?? [];
  const providerOptions = providers.map((p) => ({ label: p.title, value: p.id }));

  /** The target as the form holds it now: what a save sends. */
  const formInput = (): SaveTargetInput => ({
    ...(target ? { id: target.id } : {}),
    name,
    environment,
    provider: providerId,
    settings: Object.fromEntries(Object.entries(settings).filter(([key]) => fields.some((f) => f.key === key && !f.secret))),
    secrets: Object.fromEntries(
      Object.entries(secrets)
        .filter(([key]) => fields.some((f) => f.key === key && f.secret))
        .flatMap(([key, edit]): [string, string | null][] =>
          edit.kind === 'replace' ? [[key, edit.value]] : edit.kind === 'clear' ? [[key, null]] : [],
        ),
    ),
    rules: { branches: splitList(branches), tags: splitList(tags), paths: { include: splitList(include), exclude: splitList(exclude) } },
    options: {
      skipMarkers,
      coalesce,
      reportOnCommit,
      waitForBuilds,
      buildKeys: splitList(buildKeys),
      buildWaitMinutes: wholeOrTyped(buildWait),
      requireApproval,
      approverNotPusher,
      approvalWaitHours: wholeOrTyped(approvalWait),
      freeze: { timeZone: freezeZone, weekly: freezeWeekly, once: freezeOnce, during: freezeDuring },
    },
    enabled: target?.enabled ?? true,
    preview: previews ? { allowForks } : null,
    ...(target ? { expectedUpdatedAt: target.updatedAt } : {}),
  });

  const submit = async () => {
    const result = await call<TargetView>('saveTarget', formInput() as unknown as Record<string, unknown>);
    if (result.ok) {
      onSaved(result.data);
      return;
    }
    setErrors(result.error.fields ?? {});
    if (result.error.code === 'EGRESS_NOT_ALLOWED' && result.error.egress) {
      setApproval(result.error.egress);
      setFormError(null);
      return;
    }
    setApproval(null);
    setFormError(result.error.message);
  };
  const save = () => busy.run('save', submit);

  /** Forge's confirmation for the hosts, then the same save again; a refusal saves nothing. */
  const approveAndSave = (origins: string[]) =>
    busy.run('save', async () => {
      const answer = await askApproval(origins);
      setApproval(null);
      if (!answer.ok) return setFormError(answer.message);
      await submit();
    });

  /** The provider's verify with the form's values, unsaved: nothing is stored, and no secret comes back. */
  const testConnection = () =>
    busy.run('test', async () => {
      const input = formInput();
      const result = await call<VerifyView>('testTarget', input as unknown as Record<string, unknown>);
      const shownName = name.trim() || 'This target';
      const testedWith = JSON.stringify(input);
      if (result.ok) {
        setErrors({});
        return setTested({ ...verifyOutcome(shownName, result.data), text: result.data.message, input: testedWith });
      }
      setErrors(result.error.fields ?? {});
      const unapproved = result.error.code === 'EGRESS_NOT_ALLOWED' ? (result.error.egress ?? []) : [];
      setTested({
        input: testedWith,
        appearance: 'error',
        title: 'The connection was not tested',
        text:
          unapproved.length > 0
            ? `Deploy Relay may not call ${unapproved.map((origin) => new URL(origin).host).join(', ')} yet. Save the target to ask a workspace admin to approve it, then test it.`
            : result.error.message,
      });
    });

  const showMatches = () =>
    busy.run('matches', async () => {
      const result = await call<BranchSearch>('searchBranches', { text: '', patterns: splitList(branches) });
      if (!result.ok) return setMatching(result.error.message);
      const hits = result.data.branches.filter((b) => b.matches).map((b) => b.name);
      setMatching(
        hits.length > 0
          ? `Matches ${hits.join(', ')}${result.data.more ? ' (among the newest branches)' : ''}`
          : 'No recent branch matches these patterns',
      );
    });

  // The backend keeps a stored secret only while the target points where it was saved for (core/secrets.ts).
  const moved =
    target && target.provider === providerId
      ? settings.mode !== undefined && String(target.settings.mode ?? '') !== String(settings.mode)
        ? 'mode'
        : Object.keys({ ...target.settings, ...settings }).some(
              (key) => destinationOf(target.settings[key]) !== destinationOf(settings[key]),
            )
          ? 'address'
          : null
      : null;

  const renderField = (field: ProviderFieldView) => {
    const error = errors[`${field.secret ? 'secrets' : 'settings'}.${field.key}`];
    const id = `${field.secret ? 'secrets' : 'settings'}.${field.key}`;
    if (field.secret) {
      const stored = target?.provider === providerId ? target.secrets[field.key] : undefined;
      const edit = secrets[field.key] ?? { kind: 'keep' };
      const state =
        edit.kind === 'clear'
          ? 'Will be cleared when you save.'
          : moved && stored?.set && edit.kind === 'keep'
            ? `Saved for the previous ${moved}: it will be cleared when you save, as a secret is only sent where it was saved for. Enter it again.`
            : `${secretHint(stored)}.${stored?.set ? ' Leave empty to keep it, or type a new value to replace it.' : ''}`;
      return (
        <Field key={id} id={id} label={field.label} error={error} help={field.help}>
          <Textfield
            id={id}
            name={id}
            type="password"
            value={edit.kind === 'replace' ? edit.value : ''}
            isDisabled={edit.kind === 'clear'}
            isInvalid={Boolean(error)}
            onChange={(event) =>
              setSecrets({
                ...secrets,
                [field.key]: event.target.value ? { kind: 'replace', value: event.target.value } : { kind: 'keep' },
              })
            }
          />
          <Inline space="space.100" alignBlock="center">
            <Text>{state}</Text>
            {stored?.set && edit.kind !== 'clear' ? (
              <Button appearance="subtle" onClick={() => setSecrets({ ...secrets, [field.key]: { kind: 'clear' } })}>
                {`Clear ${field.label}`}
              </Button>
            ) : null}
            {edit.kind === 'clear' ? (
              <Button appearance="subtle" onClick={() => setSecrets({ ...secrets, [field.key]: { kind: 'keep' } })}>
                Keep it
              </Button>
            ) : null}
          </Inline>
        </Field>
      );
    }
    if (field.kind === 'boolean') {
      return (
        <Field key={id} id={id} label={field.label} error={error} help={field.help}>
          <Toggle
            id={id}
            name={id}
            label={field.label}
            isChecked={settings[field.key] === true}
            onChange={(event) => setSettings({ ...settings, [field.key]: Boolean(event.target.checked) })}
          />
        </Field>
      );
    }
    if (field.kind === 'select') {
      const value = field.options.find((o) => o.value === settings[field.key]);
      return (
        <Field key={id} id={id} label={field.label} error={error} help={field.help}>
          <Select
            inputId={id}
            name={id}
            options={field.options}
            value={value ?? null}
            onChange={(option: { value: string } | null) => setSettings({ ...settings, [field.key]: option?.value ?? '' })}
          />
        </Field>
      );
    }
    return (
      <Field key={id} id={id} label={field.label} error={error} help={field.help}>
        <Textfield
          id={id}
          name={id}
          value={typeof settings[field.key] === 'string' ? (settings[field.key] as string) : ''}
          isInvalid={Boolean(error)}
          onChange={(event) => setSettings({ ...settings, [field.key]: event.target.value })}
        />
      </Field>
    );
  };

  const text = (id: string, label: string, value: string, set: (v: string) => void, help?: string) => (
    <Field id={id} label={label} error={errors[id]} help={help}>
      <Textfield id={id} name={id} value={value} isInvalid={Boolean(errors[id])} onChange={(event) => set(event.target.value)} />
    </Field>
  );

  const lines = (id: string, label: string, value: string, set: (v: string) => void, help: string) => (
    <Field id={id} label={label} error={errors[id]} help={help}>
      <TextArea id={id} name={id} value={value} isInvalid={Boolean(errors[id])} onChange={(event) => set(event.target.value)} />
    </Field>
  );

  return (
    <Modal onClose={onClose} width="large">
      <ModalHeader>
        <ModalTitle>{target ? `Edit ${target.name}` : 'Add a deploy target'}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Stack space="space.200">
          {formError ? (
            <SectionMessage appearance="error" title="The target was not saved">
              <Text>{formError}</Text>
            </SectionMessage>
          ) : null}
          {approval ? (
            <SectionMessage appearance="warning" title="A workspace admin must approve this host">
              <Text>{`This target calls ${approval.map((origin) => new URL(origin).host).join(', ')}, which Deploy Relay may not reach yet. A workspace admin of this Bitbucket workspace can allow it for this workspace only; Deploy Relay then sends deploy requests there and nothing else. Bitbucket shows its own confirmation, and the target is saved once it is approved.`}</Text>
              <LoadingButton appearance="primary" isLoading={busy.isBusy('save')} onClick={() => void approveAndSave(approval)}>
                {`Approve ${approval.map((origin) => new URL(origin).host).join(', ')} and save`}
              </LoadingButton>
            </SectionMessage>
          ) : null}
          {text('name', 'Name', name, setName)}
          {text('environment', 'Environment', environment, setEnvironment, 'For example production, staging or preview.')}
          <Field id="provider" label="Provider" error={errors.provider}>
            <Select
              inputId="provider"
              name="provider"
              options={providerOptions}
              value={providerOptions.find((o) => o.value === providerId) ?? null}
              onChange={(option: { value: string } | null) => {
                setProviderId(option?.value ?? '');
                setSecrets({});
              }}
            />
          </Field>
          {fields.map(renderField)}
          <Stack space="space.050">
            <LabelledToggle
              id="preview"
              label="Deploy a preview of each pull request into these branches, instead of pushes"
              isChecked={previews}
              isDisabled={!previews && provider?.noPreviews != null}
              onChange={setPreviews}
            />
            {provider?.noPreviews ? <Text>{provider.noPreviews}</Text> : null}
            {previews ? (
              <LabelledToggle
                id="allowForks"
                label="Preview pull requests from forks too (their code is not this repository's)"
                isChecked={allowForks}
                onChange={setAllowForks}
              />
            ) : null}
            {errors.preview ? <ErrorMessage>{errors.preview}</ErrorMessage> : null}
          </Stack>
          {text(
            'branches',
            'Branches',
            branches,
            setBranches,
            previews
              ? 'Glob patterns, comma separated: main, release/*. A pull request into a matching branch gets a preview; it is torn down when merged or declined.'
              : 'Glob patterns, comma separated: main, release/*. A push to a matching branch deploys.',
          )}
          <Inline space="space.100" alignBlock="center">
            <LoadingButton appearance="subtle" isLoading={busy.isBusy('matches')} onClick={() => void showMatches()}>
              Show matching branches
            </LoadingButton>
            {matching ? <Text>{matching}</Text> : null}
          </Inline>
          {text('tags', 'Tags', tags, setTags, 'Glob patterns, comma separated: v*. Leave empty to ignore tags.')}
          {text('paths.include', 'Only when these paths change', include, setInclude, 'Optional globs: src/**, package.json.')}
          {text('paths.exclude', 'Ignore changes to these paths', exclude, setExclude, 'Optional globs: docs/**.')}
          <LabelledToggle
            id="skipMarkers"
            label="Honour [skip deploy] and [skip ci] in commit messages"
            isChecked={skipMarkers}
            onChange={setSkipMarkers}
          />
          <LabelledToggle
            id="coalesce"
            label="When pushes queue up, deploy only the newest commit"
            isChecked={coalesce}
            onChange={setCoalesce}
          />
          <LabelledToggle
            id="reportOnCommit"
            label="Report progress on the commit in Bitbucket"
            isChecked={reportOnCommit}
            onChange={setReportOnCommit}
          />
          <LabelledToggle
            id="waitForBuilds"
            label="Deploy only once the commit’s builds pass"
            isChecked={waitForBuilds}
            onChange={setWaitForBuilds}
          />
          {waitForBuilds
            ? text(
                'options.buildKeys',
                'Builds to wait for',
                buildKeys,
                setBuildKeys,
                'Build status keys, comma separated (glob patterns). Leave empty to wait for every build reported on the commit.',
              )
            : null}
          {waitForBuilds
            ? text(
                'options.buildWaitMinutes',
                'Give up waiting after (minutes)',
                buildWait,
                setBuildWait,
                'A deploy whose builds have not all passed by then ends as blocked.',
              )
            : null}
          <LabelledToggle
            id="requireApproval"
            label="Each deploy waits for a repository admin to approve it"
            isChecked={requireApproval}
            onChange={setRequireApproval}
          />
          {requireApproval ? (
            <LabelledToggle
              id="approverNotPusher"
              label="The approver must be someone other than who pushed"
              isChecked={approverNotPusher}
              onChange={setApproverNotPusher}
            />
          ) : null}
          {requireApproval
            ? text(
                'options.approvalWaitHours',
                'Give up waiting for approval after (hours)',
                approvalWait,
                setApprovalWait,
                'A deploy not approved by then ends as blocked.',
              )
            : null}
          {lines(
            'options.freeze.weekly',
            'Weekly freeze windows',
            freezeWeekly,
            setFreezeWeekly,
            'One window a line, such as Fri 16:00 - Mon 08:00. Leave empty for none.',
          )}
          {lines(
            'options.freeze.once',
            'One-off freeze windows',
            freezeOnce,
            setFreezeOnce,
            'One window a line with its reason, such as 2026-12-24 00:00 - 2026-12-27 08:00 Christmas.',
          )}
          {freezeWeekly.trim() || freezeOnce.trim() ? (
            <>
              {text(
                'options.freeze.timeZone',
                'Time zone of the freeze windows',
                freezeZone,
                setFreezeZone,
                'A zone name such as Europe/Berlin: the windows follow its daylight-saving changes.',
              )}
              <Field id="options.freeze.during" label="A push during a freeze" error={errors['options.freeze.during']}>
                <Select
                  inputId="options.freeze.during"
                  name="options.freeze.during"
                  options={DURING_FREEZE}
                  value={DURING_FREEZE.find((o) => o.value === freezeDuring) ?? null}
                  onChange={(option: { value: Freeze['during'] } | null) => setFreezeDuring(option?.value ?? 'wait')}
                />
              </Field>
            </>
          ) : null}
          {tested && tested.input === JSON.stringify(formInput()) ? (
            <SectionMessage appearance={tested.appearance} title={tested.title}>
              <Text>{tested.text}</Text>
            </SectionMessage>
          ) : null}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose}>
          Cancel
        </Button>
        <LoadingButton isLoading={busy.isBusy('test')} onClick={() => void testConnection()}>
          Test connection
        </LoadingButton>
        <LoadingButton appearance="primary" isLoading={busy.isBusy('save')} onClick={() => void save()}>
          Save target
        </LoadingButton>
      </ModalFooter>
    </Modal>
  );
}
