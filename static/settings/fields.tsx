import React from 'react';
import { ErrorMessage, HelperMessage, Inline, Label, Stack, Toggle } from '@forge/react';

/**
 * Form controls with the Label an admin sees, tied to the control by `labelFor` = its id (UI Kit's
 * own pattern), so a screen reader and a browser test find the control by the same words.
 */

/** A labelled input with its help and its error below it. */
export const Field = ({
  id,
  label,
  error,
  help,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  help?: string | null;
  children: React.ReactNode;
}) => (
  <Stack space="space.050">
    <Label labelFor={id}>{label}</Label>
    {children}
    {help ? <HelperMessage>{help}</HelperMessage> : null}
    {error ? <ErrorMessage>{error}</ErrorMessage> : null}
  </Stack>
);

/**
 * A Toggle's `label` prop is only its accessible name in the product, where the admin sees a bare
 * switch: the Label beside it is what they read (`shown`, when the name alone would repeat the row).
 */
export const LabelledToggle = ({
  id,
  label,
  shown = label,
  isChecked,
  isDisabled = false,
  onChange,
}: {
  id: string;
  label: string;
  shown?: string;
  isChecked: boolean;
  isDisabled?: boolean;
  onChange: (checked: boolean) => void;
}) => (
  <Inline space="space.100" alignBlock="center">
    <Toggle
      id={id}
      name={id}
      label={label}
      isChecked={isChecked}
      isDisabled={isDisabled}
      onChange={(e) => onChange(Boolean(e.target.checked))}
    />
    <Label labelFor={id}>{shown}</Label>
  </Inline>
);
