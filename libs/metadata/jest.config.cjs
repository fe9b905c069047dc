module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'metadata',
  rootDir: __dirname,
};
