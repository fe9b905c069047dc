#!/usr/bin/env node
// npm >= 11.16 leaves optional dependencies that the registry doesn't have (unpublished platform
// builds such as @toondepauw/node-zstd-darwin-arm64@1.2.0, or @unrs/resolver-binding-*@1.13.0 on
// some platforms) out of package-lock.json, and then `npm ci` rejects that same lock ("Missing: X@
// from lock file"). npm 11.13 wrote inert placeholder entries instead; this restores them, so a
// fresh `npm ci` works. Run it after any `npm install` that rewrites the lock. No network access.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [where, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    // npm resolves a dependency next to its parent first, then at the top level.
    const nested = `${where ? where + '/' : ''}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[nested] || packages[top]) continue;
    packages[top] = { version, optional: true };
    added++;
    console.log(`[lockfile] placeholder ${name}@${version} (optional dependency of ${where || 'the root'})`);
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`[lockfile] ${added} placeholder(s) added`);
