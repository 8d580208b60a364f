/**
 * Paints a committed ForgeDoc with the Atlaskit components the product uses for each UI Kit
 * component (the modules @atlaskit/forge-react-types names), handing each only the props that
 * package declares for it. A handler the page gave travels as a reference (protocol.ts); the host
 * calls it with its first argument serialised as the product serialises it: a DOM event as a
 * SerialisableEvent, a Select's option or a tab's index as plain data. A component this host does
 * not model is painted as an error box and logged as a console error, never dropped.
 */
import Button, { LinkButton } from '@atlaskit/button/new';
import ButtonGroup from '@atlaskit/button/button-group';
import LoadingButton from '@atlaskit/button/loading-button';
import DynamicTable from '@atlaskit/dynamic-table';
import { ErrorMessage, HelperMessage, Label } from '@atlaskit/form';
import Avatar from '@atlaskit/avatar';
import Heading from '@atlaskit/heading';
import Link from '@atlaskit/link';
import Lozenge from '@atlaskit/lozenge';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import { layers } from '@atlaskit/theme/constants';
import { Box, Inline, Text } from '@atlaskit/primitives/compiled';
import { Stack } from '@atlaskit/primitives/stack';
import SectionMessage from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Spinner from '@atlaskit/spinner';
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import TextArea from '@atlaskit/textarea';
import Textfield from '@atlaskit/textfield';
import Toggle from '@atlaskit/toggle';
import Tooltip from '@atlaskit/tooltip';
import React, { type ReactNode, useEffect, useState } from 'react';
import { HANDLER, isHandlerRef, isUnsupported, type WireNode } from '../protocol';

/** Calls a handler of the page's, in its frame, with serialised arguments. */
export type CallHandler = (handler: string, args: unknown[]) => void;

export interface PaintContext {
  call: CallHandler;
  /** Component → declared props (declared-props.ts), plus the few this host declares itself below. */
  declared: Record<string, string[]>;
  /** Account id → display name, as the product looks a `User` up. */
  users: Record<string, string>;
  /** The number of the commit being painted. */
  commit: number;
}

/**
 * Components @atlaskit/forge-react-types has no generated props file for: the charts (Atlassian's
 * chart library is not public, so a labelled stand-in shows the same data) and Link.
 */
const OWN_DECLARATIONS: Record<string, string[]> = {
  Link: ['href', 'openNewTab', 'children'],
  LineChart: ['data', 'xAccessor', 'yAccessor', 'colorAccessor', 'title', 'subtitle', 'height', 'width'],
  StackBarChart: ['data', 'xAccessor', 'yAccessor', 'colorAccessor', 'title', 'subtitle', 'height', 'width'],
};

/** What the product hands a UI Kit handler for a DOM event (SerialisableEvent in @atlaskit/forge-react-types). */
function serialiseEvent(event: Event): unknown {
  // The element the component's handler is on (a click on a Button's label is the button's), at its
  // own phase, as the Node harness models it (local/ui/events.ts): the two must not disagree.
  const target = (event.currentTarget instanceof Element ? event.currentTarget : event.target) as Partial<HTMLInputElement> | null;
  return {
    bubbles: event.bubbles,
    cancelable: event.cancelable,
    defaultPrevented: event.defaultPrevented,
    eventPhase: Event.AT_TARGET,
    isTrusted: event.isTrusted,
    target: target && {
      value: target.value,
      checked: target.checked,
      name: target.name,
      id: target.id,
      tagName: target.tagName,
      type: target.type,
      selectionStart: typeof target.selectionStart === 'number' ? target.selectionStart : null,
      selectionEnd: typeof target.selectionEnd === 'number' ? target.selectionEnd : null,
    },
    timeStamp: event.timeStamp,
    type: event.type,
  };
}

/** A DOM event or React's synthetic one (same fields); anything else (a Select's option, a tab's index) as JSON. */
function serialiseArgument(value: unknown): unknown {
  const isEvent = value instanceof Event || (typeof value === 'object' && value !== null && 'nativeEvent' in value);
  if (isEvent) return serialiseEvent(value as Event);
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function unmodelled(what: string, key: string | undefined): ReactNode {
  console.error(`local host: ${what}`);
  return (
    <div key={key} role="alert" style={{ border: '2px solid #c9372c', color: '#ae2e24', padding: 8, margin: 4 }}>
      {`Not shown by the local host: ${what}`}
    </div>
  );
}

const declaredFor = (type: string, context: PaintContext): string[] | undefined => context.declared[type] ?? OWN_DECLARATIONS[type];

/** The props a component is given: declared ones only, with handler references made callable. */
function propsOf(node: WireNode, declared: readonly string[], context: PaintContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node.props)) {
    if (!declared.includes(name)) continue;
    out[name] = isHandlerRef(value) ? (first: unknown) => context.call(value[HANDLER], [serialiseArgument(first)]) : value;
  }
  return out;
}

const text = (node: WireNode): string => (node.type === 'String' ? String(node.props.text ?? '') : node.children.map(text).join(''));

/** `c()` paints the node's children: called only by components that show them (DynamicTable reads its own). */
type Painter = (props: Record<string, unknown>, c: () => ReactNode[], node: WireNode, context: PaintContext) => ReactNode;

/**
 * A Textfield or TextArea the page controls: the typed text shows at once, and at every commit the
 * field shows the page's value again, so a character the page refused does not stay on screen.
 */
function ControlledText({ multiline, props, commit }: { multiline: boolean; props: Record<string, unknown>; commit: number }) {
  const controlled = typeof props.value === 'string';
  const [shown, setShown] = useState(props.value as string | undefined);
  useEffect(() => setShown(props.value as string | undefined), [props.value, commit]);
  const onChange = (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (controlled) setShown(event.currentTarget.value);
    (props.onChange as ((e: unknown) => void) | undefined)?.(event);
  };
  const common = { ...props, ...(controlled ? { value: shown } : {}), onChange };
  return multiline ? <TextArea {...(common as object)} /> : <Textfield {...(common as object)} />;
}

/** A chart's data as a table: one row per x value, one column per series (the colour accessor), as the chart would plot it. */
function ChartStandIn({ props, kind }: { props: Record<string, unknown>; kind: string }) {
  const data = Array.isArray(props.data) ? (props.data as Record<string, unknown>[]) : [];
  const at = (row: Record<string, unknown>, accessor: unknown) =>
    typeof accessor === 'string' || typeof accessor === 'number' ? String(row[accessor] ?? '') : '';
  const xs = [...new Set(data.map((row) => at(row, props.xAccessor)))];
  const series = [...new Set(data.map((row) => at(row, props.colorAccessor)))];
  const value = (x: string, name: string) =>
    data
      .filter((row) => at(row, props.xAccessor) === x && at(row, props.colorAccessor) === name)
      .map((row) => at(row, props.yAccessor))
      .join(', ');
  const title = typeof props.title === 'string' ? props.title : kind;
  return (
    <figure style={{ margin: 0 }} aria-label={`${title} (chart stand-in)`}>
      <figcaption>
        <Text weight="bold">{title}</Text>{' '}
        <Text color="color.text.subtlest">{`(${kind} stand-in with the same data: Atlassian's chart library is not public)`}</Text>
      </figcaption>
      <div style={{ maxHeight: 180, overflowY: 'auto' }}>
        <table style={{ borderCollapse: 'collapse', fontSize: 12 }}>
          <thead>
            <tr>
              <th />
              {series.map((name) => (
                <th key={name} scope="col" style={{ textAlign: 'left', paddingRight: 16 }}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {xs.map((x) => (
              <tr key={x}>
                <th scope="row" style={{ textAlign: 'left', paddingRight: 16, fontWeight: 'normal' }}>
                  {x}
                </th>
                {series.map((name) => (
                  <td key={name} style={{ paddingRight: 16 }}>
                    {value(x, name)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

/** What the codegen's DynamicTable types let a row and a cell carry (NewRowType, and the cells of HeadType and RowType). */
const ROW_PROPS = ['isHighlighted'];
const HEAD_CELL_PROPS = ['isSortable', 'width', 'shouldTruncate', 'colSpan'];
const ROW_CELL_PROPS = ['colSpan'];

const pick = (props: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(Object.entries(props).filter(([name]) => names.includes(name)));

/** DynamicTable's head and rows come as ContentWrapper children of Cells and Rows (see @forge/react's dynamic-table). */
function tableParts(node: WireNode, context: PaintContext) {
  const part = (name: string) => node.children.find((child) => child.type === 'ContentWrapper' && child.props.name === name);
  const cell = (c: WireNode, names: readonly string[]) => ({
    ...pick(c.props, names),
    key: String(c.props.cellKey),
    content: <>{paintAll(c.children, context)}</>,
  });
  const head = part('head');
  const rows = part('rows');
  return {
    head: head ? { cells: head.children.map((c) => cell(c, HEAD_CELL_PROPS)) } : undefined,
    rows: rows?.children.map((row) => ({
      ...pick(row.props, ROW_PROPS),
      key: String(row.props.rowKey),
      cells: row.children.map((c) => cell(c, ROW_CELL_PROPS)),
    })),
  };
}

/** Select's menu goes to the body, above the modal layer, as the product's does: inside a Modal it must be clickable. */
const selectMenuOnTop = {
  menuPortalTarget: typeof document === 'undefined' ? undefined : document.body,
  styles: { menuPortal: (base: object) => ({ ...base, zIndex: layers.modal() + 1 }) },
};

const PAINTERS: Record<string, Painter> = {
  Text: (p, c) => <Text {...p}>{c()}</Text>,
  Heading: (p, c) => (
    <Heading size={(p.size as 'medium') ?? 'medium'} {...p}>
      {c()}
    </Heading>
  ),
  Stack: (p, c) => <Stack {...p}>{c()}</Stack>,
  Inline: (p, c) => <Inline {...p}>{c()}</Inline>,
  Box: (p, c) => <Box {...p}>{c()}</Box>,
  Button: (p, c) => <Button {...(p as object)}>{c()}</Button>,
  LoadingButton: (p, c) => <LoadingButton {...(p as object)}>{c()}</LoadingButton>,
  LinkButton: (p, c) => (
    <LinkButton href={String(p.href ?? '')} {...(p as object)}>
      {c()}
    </LinkButton>
  ),
  ButtonGroup: (p, c) => <ButtonGroup {...(p as object)}>{c()}</ButtonGroup>,
  Link: (p, c) => (
    <Link href={String(p.href ?? '')} target={p.openNewTab ? '_blank' : undefined}>
      {c()}
    </Link>
  ),
  Lozenge: (p, c) => <Lozenge {...(p as object)}>{c()}</Lozenge>,
  Spinner: (p) => <Spinner {...(p as object)} />,
  Tooltip: (p, c) => (
    <Tooltip content={String(p.content ?? '')} position={p.position as 'top'}>
      {(triggerProps) => <span {...triggerProps}>{c()}</span>}
    </Tooltip>
  ),
  SectionMessage: (p, c) => <SectionMessage {...(p as object)}>{c()}</SectionMessage>,
  Label: (p, c) => (
    <Label htmlFor={String(p.labelFor ?? '')} id={p.id as string | undefined} testId={p.testId as string | undefined}>
      {c()}
    </Label>
  ),
  HelperMessage: (p, c) => <HelperMessage {...(p as object)}>{c()}</HelperMessage>,
  ErrorMessage: (p, c) => <ErrorMessage {...(p as object)}>{c()}</ErrorMessage>,
  Textfield: (p, _c, n, context) => <ControlledText key={n.key} multiline={false} props={p} commit={context.commit} />,
  TextArea: (p, _c, n, context) => <ControlledText key={n.key} multiline props={p} commit={context.commit} />,
  Toggle: (p) => <Toggle {...(p as object)} />,
  Select: (p) => {
    const { id, inputId, ...rest } = p;
    return <Select inputId={(inputId ?? id) as string | undefined} {...(rest as object)} {...selectMenuOnTop} />;
  },
  Tabs: (p, c) => (
    <Tabs id={String(p.id ?? 'tabs')} {...(p as object)}>
      {c()}
    </Tabs>
  ),
  TabList: (_p, c) => <TabList>{c()}</TabList>,
  Tab: (_p, c) => <Tab>{c()}</Tab>,
  TabPanel: (_p, c) => <TabPanel>{c()}</TabPanel>,
  ModalTransition: (_p, c) => <ModalTransition>{c()}</ModalTransition>,
  Modal: (p, c) => <ModalDialog {...(p as object)}>{c()}</ModalDialog>,
  ModalHeader: (_p, c) => <ModalHeader>{c()}</ModalHeader>,
  ModalTitle: (p, c) => <ModalTitle appearance={p.appearance as 'warning' | undefined}>{c()}</ModalTitle>,
  ModalBody: (_p, c) => <ModalBody>{c()}</ModalBody>,
  ModalFooter: (_p, c) => <ModalFooter>{c()}</ModalFooter>,
  // No public Atlaskit EmptyState package is installed with forge-react-types: its header and description, as it lays them out.
  EmptyState: (p) => (
    <Stack space="space.100" alignInline="center" testId={p.testId as string | undefined}>
      <Heading size="medium" as="h2">
        {String(p.header ?? '')}
      </Heading>
      {typeof p.description === 'string' ? <Text>{p.description}</Text> : null}
    </Stack>
  ),
  DynamicTable: (p, _c, n, context) => <DynamicTable {...(p as object)} {...tableParts(n, context)} />,
  // The product shows the account's avatar and name, subject to their privacy settings; the stand-in has no pictures.
  User: (p, _c, _n, context) => {
    const name = context.users[String(p.accountId)] ?? 'Unknown user';
    return (
      <Inline space="space.050" alignBlock="center">
        <Avatar size="xsmall" name={name} />
        {p.hideDisplayName ? null : <Text>{name}</Text>}
      </Inline>
    );
  },
  LineChart: (p) => <ChartStandIn props={p} kind="Line chart" />,
  StackBarChart: (p) => <ChartStandIn props={p} kind="Stacked bar chart" />,
};

/** The first value anywhere in the props that the frame could not carry (protocol.ts Unsupported), named by its path. */
function unsupportedIn(value: unknown, path: string): string | undefined {
  if (isUnsupported(value)) return `${path} is ${value.unsupported}`;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [name, item] of Object.entries(value)) {
    const found = unsupportedIn(item, Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`);
    if (found) return found;
  }
  return undefined;
}

export function paint(node: WireNode, context: PaintContext): ReactNode {
  if (node.type === 'String') return text(node);
  const painter = PAINTERS[node.type];
  const declared = declaredFor(node.type, context);
  if (!painter || !declared) return unmodelled(`the UI Kit component "${node.type}"`, node.key);
  const problem = unsupportedIn(node.props, node.type);
  if (problem) return unmodelled(problem, node.key);
  const element = painter(propsOf(node, declared, context), () => paintAll(node.children, context), node, context);
  return React.isValidElement(element) ? React.cloneElement(element, { key: node.key }) : element;
}

export function paintAll(nodes: readonly WireNode[], context: PaintContext): ReactNode[] {
  return nodes.map((node) => paint(node, context));
}
