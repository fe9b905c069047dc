module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'nestjs-example',
  rootDir: __dirname,
};
