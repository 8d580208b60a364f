#!/usr/bin/env node
/**
 * The npm registry reachable here serves only the Linux x64 builds of packages such as @swc/core and
 * esbuild, so npm cannot write their other platforms into package-lock.json, and `npm ci` then refuses
 * the lock ("Missing: @swc/core-darwin-arm64 from lock file"). This drops optional dependency edges
 * that point at packages absent from the lock, so `npm ci` works here. Run it after `npm install`
 * (`npm run lock:prune`). On macOS or Windows, run `npm install` once to get your platform's builds.
 */
const fs = require('node:fs');

const file = 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const present = new Set(Object.keys(lock.packages));

/** Node's resolution: the nearest node_modules folder upwards from the dependent package. */
function resolvable(location, name) {
  const parts = location ? location.split('/node_modules/') : [];
  for (let depth = parts.length; depth >= 0; depth -= 1) {
    const base = parts.slice(0, depth).join('/node_modules/');
    if (present.has(`${base ? `${base}/` : ''}node_modules/${name}`)) return true;
  }
  return false;
}

const dropped = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    if (resolvable(location, name)) continue;
    delete pkg.optionalDependencies[name];
    dropped.push(name);
  }
  if (pkg.optionalDependencies && Object.keys(pkg.optionalDependencies).length === 0) delete pkg.optionalDependencies;
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: dropped ${dropped.length} optional edge(s) to packages this registry does not serve`);
