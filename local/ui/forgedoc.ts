/**
 * Pure queries over a ForgeDoc tree: the `{type, props, children, key}` structure that
 * @forge/react's reconciler hands to the bridge on every commit. Text lives in nodes of
 * type 'String' with `props.text`; everything else is a UI Kit component named by `type`.
 */
import { isDeepStrictEqual } from 'node:util';

export interface ForgeDocNode {
  type: string;
  props: Record<string, unknown>;
  children: ForgeDocNode[];
  key?: string;
}

/** The reconciler's own text node type (created by `createTextInstance`). */
const TEXT = 'String';

/** Props whose string value the product shows as text although it is not a child (Toggle label, SectionMessage title). */
const TEXT_PROPS = ['label', 'title'] as const;

/**
 * Copies a committed tree. The reconciler mutates one container in place on every commit,
 * so a copy is what makes `tree()` a stable snapshot; props are copied shallowly so function
 * props stay the live handlers the page rendered.
 */
export function snapshot(node: ForgeDocNode): ForgeDocNode {
  const copy: ForgeDocNode = { type: node.type, props: { ...node.props }, children: node.children.map(snapshot) };
  if (node.key !== undefined) copy.key = node.key;
  return copy;
}

/** Every node in document order (pre-order), the root included. */
export function allNodes(root: ForgeDocNode): ForgeDocNode[] {
  const out: ForgeDocNode[] = [];
  const visit = (node: ForgeDocNode): void => {
    out.push(node);
    node.children.forEach(visit);
  };
  visit(root);
  return out;
}

export function findAll(root: ForgeDocNode, type: string, match: Record<string, unknown> = {}): ForgeDocNode[] {
  return allNodes(root).filter((node) => node.type === type && propsMatch(node, match));
}

export function propsMatch(node: ForgeDocNode, match: Record<string, unknown>): boolean {
  return Object.entries(match).every(([name, value]) => isDeepStrictEqual(node.props[name], value));
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function ownPropText(node: ForgeDocNode): string[] {
  return TEXT_PROPS.map((name) => node.props[name]).filter((value): value is string => typeof value === 'string');
}

/** A node's visible text: its text props, then its descendants', one space at each element boundary. */
export function nodeText(node: ForgeDocNode): string {
  if (node.type === TEXT) return String(node.props.text ?? '');
  const parts = [...ownPropText(node)];
  let inline = '';
  for (const child of node.children) {
    // Adjacent text nodes are one run of text ("Saved " + "3" + " rows"), so they join without a space.
    if (child.type === TEXT) {
      inline += nodeText(child);
      continue;
    }
    parts.push(inline, nodeText(child));
    inline = '';
  }
  parts.push(inline);
  return normalise(parts.join(' '));
}

/**
 * The page's text as lines: one per element that holds text directly (a Text, a Button, a
 * table Cell...), plus text props. Reads like the screen, for assertions and error messages.
 */
export function pageText(root: ForgeDocNode): string {
  const lines: string[] = [];
  const visit = (node: ForgeDocNode): void => {
    lines.push(...ownPropText(node).map(normalise));
    if (node.children.some((child) => child.type === TEXT)) {
      lines.push(normalise(node.children.map(nodeText).join(' ')));
      return;
    }
    node.children.forEach(visit);
  };
  visit(root);
  return lines.filter((line) => line !== '').join('\n');
}

export function textMatches(text: string, wanted: string | RegExp): boolean {
  return typeof wanted === 'string' ? normalise(text) === normalise(wanted) : wanted.test(text);
}

function matchesText(node: ForgeDocNode, wanted: string | RegExp): boolean {
  return [nodeText(node), ...ownPropText(node)].some((text) => textMatches(text, wanted));
}

/**
 * The deepest elements (not raw text nodes) whose text matches. None of them contains
 * another, so the post-order in which they are found is also document order.
 */
export function nearestByText(root: ForgeDocNode, wanted: string | RegExp): ForgeDocNode[] {
  const found: ForgeDocNode[] = [];
  const visit = (node: ForgeDocNode): boolean => {
    if (node.type === TEXT) return false;
    const deeper = node.children.map(visit).some(Boolean);
    if (deeper) return true;
    if (!matchesText(node, wanted)) return false;
    found.push(node);
    return true;
  };
  visit(root);
  return found;
}

/** The nodes on the path from the root down to `target`, root first; empty when it is not in the tree. */
export function ancestorsOf(root: ForgeDocNode, target: ForgeDocNode): ForgeDocNode[] {
  if (root === target) return [root];
  for (const child of root.children) {
    const path = ancestorsOf(child, target);
    if (path.length > 0) return [root, ...path];
  }
  return [];
}

/**
 * A field's label as a person reads it: a string `label` prop (Toggle, Checkbox), or the
 * text of a Label whose `labelFor` points at the field's `id`/`inputId` (the UI Kit pattern
 * `<Label labelFor={getFieldId('x')}>`; the reconciler prefixes both ids alike, so they still match).
 */
export function labelOf(root: ForgeDocNode, field: ForgeDocNode): string | undefined {
  if (typeof field.props.label === 'string') return normalise(field.props.label);
  const ids = [field.props.id, field.props.inputId].filter((id): id is string => typeof id === 'string');
  const label = findAll(root, 'Label').find((node) => ids.some((id) => id === node.props.labelFor));
  return label && nodeText(label);
}
