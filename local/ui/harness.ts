/**
 * Renders a UI Kit page (`render: native`, entry `ForgeReconciler.render(<App/>)`) with the
 * real @forge/react reconciler and @forge/bridge, in jest or plain Node (tsx), and lets a
 * test use it the way a person uses it in the product: read the committed ForgeDoc, type,
 * pick, toggle, press, submit, open a tab. The bridge answers 'invoke' through `options.invoke` and
 * 'getContext' with `options.context`; see seams.ts for the globals this needs.
 */
import { dirname, resolve } from 'node:path';
import type { ReactElement, ReactNode } from 'react';
import { checkEvent, clickEvent, selectFocusEvent, textEvent } from './events';
import {
  type ForgeDocNode,
  allNodes,
  ancestorsOf,
  findAll,
  labelOf,
  nearestByText,
  nodeText,
  pageText,
  snapshot,
  textMatches,
} from './forgedoc';
import { type BridgeSession, attach, detach, loadIsolated, withSessionBridge } from './seams';

export type { ForgeDocNode } from './forgedoc';

export interface PageHarnessOptions {
  /** What `view.getContext()` (and so `useProductContext()`) returns; a fresh copy per call, as over the real bridge. */
  context: Record<string, unknown>;
  /** Where the bridge's invoke goes (the platform wires it to the resolver). Payload and result cross as JSON. */
  invoke: (functionKey: string, payload: unknown) => Promise<unknown>;
  /** Bridge calls beyond invoke and getContext (the `__permission__egress*` calls), as the product answers them. */
  bridge?: (cmd: string, payload: unknown) => Promise<unknown>;
  /** How long an action waits for bridge calls still in flight before returning anyway (default 2000 ms). */
  settleTimeoutMs?: number;
}

export interface PageHarness {
  tree(): ForgeDocNode;
  text(): string;
  findAll(type: string, match?: Record<string, unknown>): ForgeDocNode[];
  findByText(text: string | RegExp): ForgeDocNode;
  waitFor(predicate: () => boolean, opts?: { timeoutMs?: number }): Promise<void>;
  press(label: string | RegExp): Promise<void>;
  fill(fieldName: string, value: string): Promise<void>;
  select(fieldName: string, value: string): Promise<void>;
  toggle(fieldName: string, on: boolean): Promise<void>;
  submit(formMatch?: Record<string, unknown>): Promise<void>;
  /** Opens the tab labelled `label`, as a click on it does: the Tabs' onChange with the tab's index. */
  selectTab(label: string | RegExp): Promise<void>;
  /**
   * Waits until the page is idle, as every action above does at its end: for what the page does by
   * itself, e.g. after a test moved jest's fake timers past a refresh the page scheduled.
   */
  idle(): Promise<void>;
  invocations: Array<{ functionKey: string; payload: unknown }>;
  unmount(): Promise<void>;
}

type ReactModule = typeof import('react');
type Reconciler = { render: (element: ReactElement) => void };
type Handler = (...args: unknown[]) => unknown;

/** Components a person presses; their text is their label. */
const PRESSABLE = new Set(['Button', 'LoadingButton', 'LinkButton', 'Pressable', 'Link']);
/** Turns in a row with no commit and no bridge call in flight before the page counts as settled. */
const QUIET_TURNS = 3;
const DEFAULT_SETTLE_MS = 2000;
const DEFAULT_WAIT_MS = 5000;

/**
 * The timers as they were when the harness loaded, so a test may fake the page's timers
 * (jest.useFakeTimers) while the harness still waits in real turns and real time.
 */
const realSetTimeout = setTimeout;
const realNow = Date.now;

/** One macrotask: lets promise chains, React's scheduled effects (setImmediate) and 0 ms timers run. */
function nextTurn(): Promise<void> {
  return new Promise((done) => realSetTimeout(done, 0));
}

/** Invoke payloads and results travel as JSON in the product, so a Date or a Map does not survive. */
function overTheWire(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function describeNode(node: ForgeDocNode, root: ForgeDocNode): string {
  const name = typeof node.props.name === 'string' ? ` name="${node.props.name}"` : '';
  const label = labelOf(root, node);
  return `${node.type}${name}${label ? ` label="${label}"` : ''}`;
}

/**
 * A component around the page: closing it unmounts the page (ForgeReconciler has no unmount
 * of its own and keeps its container private), and as an error boundary it reports a render
 * error instead of leaving an empty tree behind. It renders no host element, so the ForgeDoc
 * is exactly what the page alone produces.
 */
function createGate(React: ReactModule, onCrash: (error: unknown) => void) {
  let close = (): void => undefined;
  class PageGate extends React.Component<{ page: ReactNode }, { open: boolean; crashed: boolean }> {
    override state = { open: true, crashed: false };
    static getDerivedStateFromError(): { crashed: boolean } {
      return { crashed: true };
    }
    override componentDidMount(): void {
      close = () => this.setState({ open: false });
    }
    override componentDidCatch(error: unknown): void {
      onCrash(error);
    }
    override render(): ReactNode {
      return this.state.open && !this.state.crashed ? this.props.page : null;
    }
  }
  return { wrap: (page: ReactNode) => React.createElement(PageGate, { page }), close: () => close() };
}

class Page implements PageHarness, BridgeSession {
  readonly invocations: Array<{ functionKey: string; payload: unknown }> = [];
  private root: unknown;
  private latest: ForgeDocNode | undefined;
  private commits = 0;
  private inFlight = 0;
  private failures: unknown[] = [];
  /** Checked state the harness set on uncontrolled Toggles/Checkboxes, by node key (the product keeps it, not the tree). */
  private readonly checked = new Map<string, boolean>();
  /** Set once the page called ForgeReconciler.render; cleared by unmount. */
  private closeGate: (() => void) | undefined;

  constructor(
    private readonly pagePath: string,
    private readonly options: PageHarnessOptions,
  ) {}

  readonly callBridge = (cmd: string, payload?: unknown): Promise<unknown> => {
    switch (cmd) {
      case 'reconcile':
        this.reconcile((payload as { forgeDoc: ForgeDocNode }).forgeDoc);
        return Promise.resolve(undefined);
      case 'invoke':
        return this.track(this.invoke(payload as { functionKey: string; payload?: unknown }));
      case 'getContext':
        return Promise.resolve(structuredClone(this.options.context));
      case 'onError':
        this.failures.push((payload as { error: unknown }).error);
        return Promise.resolve(undefined);
      default:
        if (this.options.bridge && cmd.startsWith('__permission__'))
          return this.track(this.options.bridge(cmd, overTheWire(payload)).then(overTheWire));
        return Promise.reject(new Error(`page harness: bridge command "${cmd}" is not emulated`));
    }
  };

  ownsRoot(root: unknown): boolean {
    return root === this.root;
  }

  async start(): Promise<void> {
    attach(this);
    try {
      this.load();
      await this.settle();
      if (!this.latest) throw new Error(`${this.pagePath} rendered nothing (no 'reconcile' reached the bridge)`);
    } catch (error) {
      detach(this);
      throw error;
    }
  }

  /**
   * require(), not import(): the loads must happen synchronously inside the isolation and
   * bridge scopes, and resolve from the page so it shares our React and @forge/react copies.
   */
  private load(): void {
    const fromPage = (id: string): string => require.resolve(id, { paths: [dirname(this.pagePath)] });
    loadIsolated(() =>
      withSessionBridge(this, () => {
        const React = require(fromPage('react')) as ReactModule;
        const forgeReact = require(fromPage('@forge/react')) as { default: Reconciler };
        this.interceptRender(forgeReact.default, React);
        require(this.pagePath);
      }),
    );
    if (!this.closeGate) throw new Error(`${this.pagePath} did not call ForgeReconciler.render`);
  }

  /** Wraps the element the page renders in the gate; the reconciler itself runs unchanged. */
  private interceptRender(reconciler: Reconciler, React: ReactModule): void {
    const render = reconciler.render;
    const gate = createGate(React, (error) => this.failures.push(error));
    reconciler.render = (element) => {
      this.closeGate = gate.close;
      render(gate.wrap(element));
    };
  }

  private reconcile(forgeDoc: ForgeDocNode): void {
    this.root ??= forgeDoc;
    this.latest = snapshot(forgeDoc);
    this.commits += 1;
  }

  private async invoke({ functionKey, payload }: { functionKey: string; payload?: unknown }): Promise<unknown> {
    const sent = overTheWire(payload);
    this.invocations.push({ functionKey, payload: sent });
    return overTheWire(await this.options.invoke(functionKey, sent));
  }

  private async track<T>(call: Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await call;
    } finally {
      this.inFlight -= 1;
    }
  }

  /**
   * Waits until the page is idle: no bridge call in flight and no commit for a few turns.
   * A call the test deliberately holds (to look at a Spinner) is given up on after
   * settleTimeoutMs without failing; errors the page raised meanwhile are thrown here.
   */
  private async settle(): Promise<void> {
    const deadline = realNow() + (this.options.settleTimeoutMs ?? DEFAULT_SETTLE_MS);
    let quietTurns = 0;
    let commits = this.commits;
    while (quietTurns < QUIET_TURNS && realNow() < deadline) {
      await nextTurn();
      quietTurns = this.inFlight === 0 && this.commits === commits ? quietTurns + 1 : 0;
      commits = this.commits;
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const [failure] = this.failures.splice(0);
    if (failure === undefined) return;
    const message = failure instanceof Error ? failure.message : String(failure);
    throw new Error(`page error: ${message}`, { cause: failure });
  }

  /** Calls a live handler as the product does: it does not wait, but a rejection is a page error. */
  private fire(handler: unknown, ...args: unknown[]): void {
    if (typeof handler !== 'function') return;
    const result = (handler as Handler)(...args);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      Promise.resolve(result).catch((error: unknown) => this.failures.push(error));
    }
  }

  /** The same component in the latest commit: a handler fired earlier may have re-rendered it with new props. */
  private current(node: ForgeDocNode): ForgeDocNode {
    return allNodes(this.tree()).find((candidate) => candidate.key === node.key) ?? node;
  }

  tree(): ForgeDocNode {
    if (!this.latest) throw new Error('page harness: nothing committed yet');
    return this.latest;
  }

  text(): string {
    return pageText(this.tree());
  }

  findAll(type: string, match?: Record<string, unknown>): ForgeDocNode[] {
    return findAll(this.tree(), type, match);
  }

  findByText(text: string | RegExp): ForgeDocNode {
    const [node] = nearestByText(this.tree(), text);
    if (!node) throw new Error(`findByText: no element with text ${String(text)}. Page text:\n${this.text()}`);
    return node;
  }

  async waitFor(predicate: () => boolean, opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    const deadline = realNow() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      this.throwIfFailed();
      try {
        if (predicate()) return;
      } catch (error) {
        lastError = error; // e.g. a findByText inside the predicate: not there yet.
      }
      if (realNow() >= deadline) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
        throw new Error(`waitFor: timed out after ${timeoutMs} ms${why}. Page text:\n${this.text()}`);
      }
      await nextTurn();
    }
  }

  async press(label: string | RegExp): Promise<void> {
    const root = this.tree();
    const buttons = allNodes(root).filter((node) => PRESSABLE.has(node.type) && textMatches(nodeText(node), label));
    this.pressNode(this.only(`press ${String(label)}`, buttons, root));
    await this.settle();
  }

  /**
   * A click: the button's onClick, then, for a submit button inside a Form, the Form's
   * onSubmit (called with no arguments, as the product does), read after onClick re-rendered.
   */
  private pressNode(button: ForgeDocNode): void {
    const root = this.tree();
    const what = `press: ${describeNode(button, root)} "${nodeText(button)}"`;
    if (button.props.isDisabled === true || button.props.isLoading === true) throw new Error(`${what} is disabled`);
    const form =
      button.props.type === 'submit'
        ? ancestorsOf(root, button)
            .reverse()
            .find((node) => node.type === 'Form')
        : undefined;
    if (typeof button.props.onClick !== 'function' && !form) throw new Error(`${what} has no onClick and submits no Form`);
    this.fire(button.props.onClick, clickEvent(button));
    if (form) this.fire(this.current(form).props.onSubmit);
  }

  async fill(fieldName: string, value: string): Promise<void> {
    const field = this.field('fill', ['Textfield', 'TextArea'], fieldName);
    if (field.props.isReadOnly === true) throw new Error(`fill: ${describeNode(field, this.tree())} is read-only`);
    this.fire(field.props.onFocus, textEvent('focus', field, shownText(field)));
    this.fire(field.props.onChange, textEvent('change', field, value));
    this.fire(this.current(field).props.onBlur, textEvent('blur', field, value));
    await this.settle();
  }

  async select(fieldName: string, value: string): Promise<void> {
    const field = this.field('select', ['Select'], fieldName);
    const options = flattenOptions(field.props.options);
    const option =
      options.find((candidate) => String(candidate.value) === value) ??
      options.find((candidate) => textMatches(String(candidate.label), value));
    if (!option) {
      const known = options.map((candidate) => `${String(candidate.value)} (${String(candidate.label)})`).join(', ');
      throw new Error(`select: ${describeNode(field, this.tree())} has no option "${value}"; options: ${known}`);
    }
    const chosen = field.props.isMulti === true ? [...(Array.isArray(field.props.value) ? field.props.value : []), option] : option;
    this.fire(field.props.onFocus, selectFocusEvent('focus', field));
    this.fire(field.props.onChange, chosen, { action: 'select-option', option, name: field.props.name });
    this.fire(this.current(field).props.onBlur, selectFocusEvent('blur', field));
    await this.settle();
  }

  async toggle(fieldName: string, on: boolean): Promise<void> {
    const field = this.field('toggle', ['Toggle', 'Checkbox'], fieldName);
    // A person who wants it on and sees it on does not click it.
    if (this.isChecked(field) !== on) {
      this.fire(field.props.onFocus, checkEvent('focus', field, !on));
      this.fire(field.props.onChange, checkEvent('change', field, on));
      if (field.key !== undefined) this.checked.set(field.key, on);
      this.fire(this.current(field).props.onBlur, checkEvent('blur', field, on));
    }
    await this.settle();
  }

  private isChecked(field: ForgeDocNode): boolean {
    if (typeof field.props.isChecked === 'boolean') return field.props.isChecked;
    return (field.key !== undefined ? this.checked.get(field.key) : undefined) ?? field.props.defaultChecked === true;
  }

  async submit(formMatch: Record<string, unknown> = {}): Promise<void> {
    const root = this.tree();
    const form = this.only('submit: Form', findAll(root, 'Form', formMatch), root);
    const submitButton = allNodes(form).find((node) => PRESSABLE.has(node.type) && node.props.type === 'submit');
    // With no submit button a person submits by pressing Enter in a field: onSubmit alone.
    if (submitButton) this.pressNode(submitButton);
    else this.fire(form.props.onSubmit);
    await this.settle();
  }

  async selectTab(label: string | RegExp): Promise<void> {
    const root = this.tree();
    const tab = this.only(
      `selectTab ${String(label)}`,
      findAll(root, 'Tab').filter((node) => textMatches(nodeText(node), label)),
      root,
    );
    const tabs = ancestorsOf(root, tab)
      .reverse()
      .find((node) => node.type === 'Tabs');
    if (!tabs) throw new Error(`selectTab: ${describeNode(tab, root)} "${nodeText(tab)}" is not inside Tabs`);
    // @atlaskit/tabs calls onChange(index) with the tab's position among the Tabs' own tabs; Tabs without
    // onChange switch panels in the product alone, and the tree (which holds every panel) stays as it is.
    this.fire(tabs.props.onChange, findAll(tabs, 'Tab').indexOf(tab));
    await this.settle();
  }

  async idle(): Promise<void> {
    await this.settle();
  }

  async unmount(): Promise<void> {
    if (!this.closeGate) return;
    const close = this.closeGate;
    this.closeGate = undefined;
    try {
      close();
      await this.settle();
    } finally {
      detach(this);
    }
  }

  /** An input by its `name`, else by its label; not enabled inputs are refused like a person would be. */
  private field(verb: string, types: string[], nameOrLabel: string): ForgeDocNode {
    const root = this.tree();
    const fields = allNodes(root).filter((node) => types.includes(node.type));
    const byName = fields.filter((node) => node.props.name === nameOrLabel);
    const matching = byName.length > 0 ? byName : fields.filter((node) => textMatches(labelOf(root, node) ?? '', nameOrLabel));
    if (matching.length === 0) {
      const known = fields.map((node) => describeNode(node, root)).join(', ') || 'none';
      throw new Error(`${verb}: no ${types.join('/')} named or labelled "${nameOrLabel}"; on the page: ${known}`);
    }
    const field = this.only(`${verb} "${nameOrLabel}"`, matching, root);
    if (field.props.isDisabled === true) throw new Error(`${verb}: ${describeNode(field, root)} is disabled`);
    return field;
  }

  private only(what: string, nodes: ForgeDocNode[], root: ForgeDocNode): ForgeDocNode {
    const [node, ...more] = nodes;
    if (!node) throw new Error(`${what}: nothing matches. Page text:\n${this.text()}`);
    if (more.length > 0) throw new Error(`${what}: ${nodes.length} match (${nodes.map((n) => describeNode(n, root)).join(', ')})`);
    return node;
  }
}

/** What a text field shows before typing: its controlled value, else its default (the product keeps typed text). */
function shownText(field: ForgeDocNode): string {
  const { value, defaultValue } = field.props;
  return typeof value === 'string' ? value : typeof defaultValue === 'string' ? defaultValue : '';
}

interface SelectOption {
  label: unknown;
  value: unknown;
}

/** Select takes options, or groups `{label, options}` of them. */
function flattenOptions(options: unknown): SelectOption[] {
  if (!Array.isArray(options)) return [];
  return options.flatMap((option: SelectOption & { options?: unknown }) =>
    Array.isArray(option.options) ? flattenOptions(option.options) : [option],
  );
}

/**
 * Loads the page module (a path relative to the working directory, or absolute) with fresh
 * copies of @forge/react and @forge/bridge, and resolves once its first render has settled.
 */
export async function renderPage(pageModulePath: string, options: PageHarnessOptions): Promise<PageHarness> {
  const page = new Page(require.resolve(resolve(pageModulePath)), options);
  await page.start();
  return page;
}
