/**
 * The props each UI Kit component takes, as @atlaskit/forge-react-types declares them: the quoted
 * names its generated `XProps` types pick from the Atlaskit component, and the names they add in
 * `& { … }`. The host passes a component only these, so a prop the product would not hand to
 * Atlaskit (a `label` on a Toggle that is only its accessible name, an `isLoading` on a plain Button)
 * does in the browser what it does in Bitbucket.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const COMPONENTS = path.join(path.dirname(require.resolve('@atlaskit/forge-react-types/package.json')), 'src', 'components');
const GENERATED = path.join(COMPONENTS, '__generated__');
/** Components declared by hand rather than generated (User, UserGroup, Image…), all in one file. */
const BASE = path.join(COMPONENTS, 'base', 'index.ts');

/** The text of `export type XProps = …` up to the `TX` type after it, with a helper type it starts from. */
function propsBlock(source: string, component: string): string {
  const start = source.indexOf(`export type ${component}Props =`);
  if (start < 0) return '';
  const end = source.indexOf(`export type T${component}<`, start);
  const block = source.slice(start, end < 0 ? undefined : end);
  const helper = /^(?:export )?type (\w+) = Pick</gm;
  const helpers = [...source.slice(0, start).matchAll(helper)].filter(([, name]) => name && block.includes(name));
  return [...helpers.map((match) => source.slice(match.index, source.indexOf('>;', match.index))), block].join('\n');
}

function namesIn(block: string): string[] {
  const picked = [...block.matchAll(/'([A-Za-z][\w-]*)'/g)].map(([, name]) => name!);
  const added = [...block.matchAll(/^\s+(?:readonly\s+)?([A-Za-z]\w*)\??:/gm)].map(([, name]) => name!);
  return [...new Set([...picked, ...added])].sort();
}

/** Component name → the props it declares, for every generated props file and every component of base/. */
export function declaredProps(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const base = readFileSync(BASE, 'utf8');
  for (const [, component] of base.matchAll(/^export type (\w+)Props = /gm)) {
    const names = namesIn(propsBlock(base, component!));
    if (names.length > 0) out[component!] = names;
  }
  for (const file of readdirSync(GENERATED)) {
    const component = /^(\w+)Props\.codegen\.tsx$/.exec(file)?.[1];
    if (!component) continue;
    const names = namesIn(propsBlock(readFileSync(path.join(GENERATED, file), 'utf8'), component));
    if (names.length > 0) out[component] = names;
  }
  return out;
}
