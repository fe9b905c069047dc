// End-to-end tests: real Runnel processes (compiled dist/) driven by real clients (kcat,
// confluent-kafka-python, kafka-python, kafkajs). Files run one at a time; each starts its own node.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'interop-e2e',
  rootDir: __dirname,
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  testTimeout: 180_000,
  maxWorkers: 1,
  // Run the cheap, broad suites first so a broken broker fails fast.
  testSequencer: '<rootDir>/src/support/sequencer.cjs',
};
