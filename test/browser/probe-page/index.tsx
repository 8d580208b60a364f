/**
 * A page that does what the product would not carry or paint, for the browser host's own tests:
 * a UI Kit component the host does not model, a React element and a Date inside props, a function
 * inside an object, a bridge call the host does not model, a fetch of its own, and a reach into
 * the host page. Beside them, one ordinary Button, so the test can tell the rest still works.
 */
import React, { useEffect, useState } from 'react';
import ForgeReconciler, { Badge, Button, Select, Stack, Text } from '@forge/react';
import { showFlag } from '@forge/bridge';

function Probe() {
  const [pressed, setPressed] = useState(0);
  const [fetched, setFetched] = useState('fetch: not tried');
  const [host, setHost] = useState('host document: not tried');
  const [flag, setFlag] = useState('flag: not tried');
  useEffect(() => {
    fetch('/dev/state').then(
      () => setFetched('fetch: answered'),
      () => setFetched('fetch: refused'),
    );
    try {
      setHost(`host document: ${parent.document.title}`);
    } catch {
      setHost('host document: out of reach');
    }
    // showFlag answers with a handle at once; the bridge call behind it is what the host refuses.
    showFlag({ id: 'probe', title: 'Probe' });
    setFlag('flag: asked');
  }, []);
  return (
    <Stack space="space.100">
      <Button onClick={() => setPressed(pressed + 1)}>{`Pressed ${pressed}`}</Button>
      <Badge>7</Badge>
      <Select inputId="element-label" options={[{ label: <Text>Element</Text>, value: 'element' }]} />
      <Select inputId="function-inside" options={[{ label: 'A', value: 'a', onPick: () => undefined }]} />
      <Select inputId="date-value" options={[]} value={new Date(0) as unknown as string} />
      <Text>{fetched}</Text>
      <Text>{host}</Text>
      <Text>{flag}</Text>
    </Stack>
  );
}

ForgeReconciler.render(<Probe />);
