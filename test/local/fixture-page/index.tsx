/**
 * A small UI Kit page for the page harness's own tests: it uses the components and hooks a
 * real settings page does (bridge invoke + getContext, DynamicTable, useForm with a
 * Textfield, Select and Checkbox, a controlled Toggle, a Modal) and nothing else.
 */
import React, { useEffect, useState } from 'react';
import ForgeReconciler, {
  Button,
  Checkbox,
  DynamicTable,
  ErrorMessage,
  Form,
  FormFooter,
  Heading,
  Label,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  ModalTransition,
  SectionMessage,
  Select,
  Spinner,
  Stack,
  Text,
  Textfield,
  Toggle,
  useForm,
} from '@forge/react';
import { invoke, view } from '@forge/bridge';

interface Target {
  name: string;
  provider: string;
  notify: boolean;
}

interface Settings {
  targets: Target[];
  autoDeploy: boolean;
}

interface TargetForm {
  name: string;
  provider?: { label: string; value: string };
  notify: boolean;
}

const PROVIDERS = [
  { label: 'Heroku', value: 'heroku' },
  { label: 'Fly.io', value: 'fly' },
];

/** Invoked without metadata, the bridge resolves to the resolver's value itself (not `{body, metadata}`). */
async function call<T>(functionKey: string, payload: Record<string, unknown>): Promise<T> {
  return (await invoke(functionKey, payload)) as T;
}

function TargetTable({ targets }: { targets: Target[] }) {
  if (targets.length === 0) return <Text>No targets yet</Text>;
  return (
    <DynamicTable
      head={{
        cells: [
          { key: 'name', content: 'Name' },
          { key: 'provider', content: 'Provider' },
        ],
      }}
      rows={targets.map((target) => ({
        key: target.name,
        cells: [
          { key: 'name', content: target.name },
          { key: 'provider', content: target.provider },
        ],
      }))}
    />
  );
}

function AddTargetForm({ repositoryUuid, onAdded }: { repositoryUuid: string; onAdded: (targets: Target[]) => void }) {
  const { register, handleSubmit, getFieldId, formState } = useForm<TargetForm>({ defaultValues: { name: '', notify: false } });
  const add = async (data: TargetForm) => {
    const targets = await call<Target[]>('addTarget', {
      repositoryUuid,
      name: data.name,
      provider: data.provider?.value,
      notify: data.notify,
    });
    onAdded(targets);
  };
  return (
    <Form onSubmit={handleSubmit(add)}>
      <Label labelFor={getFieldId('name')}>Target name</Label>
      <Textfield {...register('name', { required: true })} />
      {formState.errors.name && <ErrorMessage>A name is required</ErrorMessage>}
      <Label labelFor={getFieldId('provider')}>Provider</Label>
      <Select {...register('provider', { required: true })} options={PROVIDERS} />
      <Checkbox {...register('notify')} label="Notify on failure" />
      <FormFooter>
        <Button type="submit" appearance="primary">
          Add target
        </Button>
      </FormFooter>
    </Form>
  );
}

function App() {
  const [repositoryUuid, setRepositoryUuid] = useState<string>();
  const [settings, setSettings] = useState<Settings>();
  const [autoDeploy, setAutoDeploy] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    void (async () => {
      const context = await view.getContext();
      const uuid = String(context.extension.repository.uuid);
      setRepositoryUuid(uuid);
      const loaded = await call<Settings>('load', { repositoryUuid: uuid });
      setSettings(loaded);
      setAutoDeploy(loaded.autoDeploy);
    })();
  }, []);

  if (!settings || !repositoryUuid) return <Spinner label="Loading settings" />;

  const save = async () => {
    const result = await call<{ revision: number }>('save', { repositoryUuid, autoDeploy });
    setSaved(`Saved revision ${result.revision}`);
  };
  const removeAll = async () => {
    const targets = await call<Target[]>('removeAll', { repositoryUuid });
    setSettings({ ...settings, targets });
    setConfirming(false);
  };

  return (
    <Stack space="space.200">
      <Heading size="medium">Deploy targets</Heading>
      <TargetTable targets={settings.targets} />
      <AddTargetForm repositoryUuid={repositoryUuid} onAdded={(targets) => setSettings({ ...settings, targets })} />
      <Toggle
        id="auto-deploy"
        label="Deploy on every push"
        isChecked={autoDeploy}
        onChange={(event) => setAutoDeploy(Boolean(event.target.checked))}
      />
      <Button onClick={() => void save()}>Save settings</Button>
      {saved && (
        <SectionMessage title="Settings saved" appearance="success">
          <Text>{saved}</Text>
        </SectionMessage>
      )}
      <Button appearance="danger" onClick={() => setConfirming(true)}>
        Remove all targets
      </Button>
      <ModalTransition>
        {confirming && (
          <Modal onClose={() => setConfirming(false)}>
            <ModalHeader>
              <ModalTitle>Remove every target?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <Text>Pushes will no longer deploy anywhere.</Text>
            </ModalBody>
            <ModalFooter>
              <Button onClick={() => setConfirming(false)}>Cancel</Button>
              <Button appearance="danger" onClick={() => void removeAll()}>
                Confirm
              </Button>
            </ModalFooter>
          </Modal>
        )}
      </ModalTransition>
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
