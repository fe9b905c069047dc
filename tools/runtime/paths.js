// Resolves the workspace's `@runnel/<lib>` imports to the compiled libraries under dist/,
// so the apps built by `tsc` run under plain `node -r ./tools/runtime/paths.js`.
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveRunnel(request, ...rest) {
  if (request.startsWith('@runnel/')) {
    const lib = request.slice('@runnel/'.length);
    request = path.join(root, 'dist', 'libs', lib, 'src', 'index.js');
  }
  return original.call(this, request, ...rest);
};
