/**
 * The events the product hands to a UI Kit page's handlers. The product renders the real
 * Atlassian components and passes each DOM event across the bridge in serialised form:
 * `SerialisableEvent` in @atlaskit/forge-react-types (bubbles, cancelable, defaultPrevented,
 * eventPhase, isTrusted, target {value, checked, name, id, tagName, type}, timeStamp, type).
 * useForm's `register().onChange` relies on `target.type` to tell a checkbox ('checkbox' →
 * `checked`) from a text input ('text' | 'textarea' | 'number' | 'password' | 'radio' → `value`).
 */
import type { ForgeDocNode } from './forgedoc';

export interface SerialisableEvent {
  bubbles: boolean;
  cancelable: boolean;
  defaultPrevented: boolean;
  eventPhase: number;
  isTrusted: boolean;
  target: { value?: unknown; checked?: boolean; name?: string; id?: string; tagName?: string; type?: string };
  timeStamp: number;
  type: string;
}

/** DOM's Event.AT_TARGET: the product's handlers are attached to the element the person used. */
const AT_TARGET = 2;

function stringProp(node: ForgeDocNode, name: string): string | undefined {
  const value = node.props[name];
  return typeof value === 'string' ? value : undefined;
}

function domEvent(type: string, target: SerialisableEvent['target']): SerialisableEvent {
  return {
    bubbles: type !== 'focus' && type !== 'blur',
    cancelable: type === 'click',
    defaultPrevented: false,
    eventPhase: AT_TARGET,
    isTrusted: true,
    target,
    timeStamp: Date.now(),
    type,
  };
}

function targetOf(node: ForgeDocNode, tagName: string, inputType: string): SerialisableEvent['target'] {
  return { name: stringProp(node, 'name'), id: stringProp(node, 'id'), tagName, type: inputType };
}

export function clickEvent(button: ForgeDocNode): SerialisableEvent {
  return domEvent('click', targetOf(button, 'BUTTON', stringProp(button, 'type') ?? 'button'));
}

/** Textfield renders an <input type={props.type ?? 'text'}>, TextArea a <textarea>. */
function textTarget(field: ForgeDocNode): SerialisableEvent['target'] {
  return field.type === 'TextArea'
    ? targetOf(field, 'TEXTAREA', 'textarea')
    : targetOf(field, 'INPUT', stringProp(field, 'type') ?? 'text');
}

export function textEvent(type: 'focus' | 'change' | 'blur', field: ForgeDocNode, value: string): SerialisableEvent {
  return domEvent(type, { ...textTarget(field), value });
}

/** Toggle and Checkbox are both an <input type="checkbox"> in the product. */
export function checkEvent(type: 'focus' | 'change' | 'blur', field: ForgeDocNode, checked: boolean): SerialisableEvent {
  return domEvent(type, { ...targetOf(field, 'INPUT', 'checkbox'), checked, value: field.props.value });
}

/** Select's blur/focus come from its search <input>; its onChange gets the option itself, not an event. */
export function selectFocusEvent(type: 'focus' | 'blur', field: ForgeDocNode): SerialisableEvent {
  return domEvent(type, targetOf(field, 'INPUT', 'text'));
}
