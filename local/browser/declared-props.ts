/**
 * The props each UI Kit component takes, as @atlaskit/forge-react-types declares them: the
 * properties of its exported `XProps` type, resolved by the TypeScript checker over the package's
 * generated props files and its hand-written base components. The host passes a component only
 * these, so a prop the product would not hand to Atlaskit (a `label` on a Toggle that is only its
 * accessible name, an `isLoading` on a plain Button) does in the browser what it does in Bitbucket.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const COMPONENTS = path.join(path.dirname(require.resolve('@atlaskit/forge-react-types/package.json')), 'src', 'components');

function propsFiles(): string[] {
  const generated = path.join(COMPONENTS, '__generated__');
  return [
    ...readdirSync(generated)
      .filter((file) => file.endsWith('Props.codegen.tsx'))
      .map((file) => path.join(generated, file)),
    path.join(COMPONENTS, 'base', 'index.ts'),
  ];
}

/** Component name → the props it declares (about 3 s: the checker reads the Atlaskit types behind them). */
export function declaredProps(): Record<string, string[]> {
  const files = propsFiles();
  const program = ts.createProgram(files, {
    jsx: ts.JsxEmit.ReactJSX,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const file of files) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) continue;
    for (const symbol of checker.getExportsOfModule(module)) {
      const component = /^(\w+)Props$/.exec(symbol.name)?.[1];
      if (!component) continue;
      const names = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((property) => property.name);
      if (names.length > 0) out[component] = names.sort();
    }
  }
  return out;
}
