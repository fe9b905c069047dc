module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'interop-e2e',
  rootDir: __dirname,
};
