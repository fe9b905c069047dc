// Runs the e2e files in a fixed order: quick, broad checks first, the slow restart/kill tests last.
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['build', 'config', 'metrics', 'kcat', 'kafkajs', 'kafka-python', 'confluent-kafka', 'hostile', 'retention', 'restart'];

function rank(path) {
  const base = path.split('/').pop();
  const i = ORDER.findIndex((name) => base.startsWith(name + '.'));
  return i === -1 ? ORDER.length : i;
}

class E2eSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = E2eSequencer;
