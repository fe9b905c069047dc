// Kafka's topic name rules (shared by the controller's validation and the broker's auto-create).

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Returns why `name` is not a legal topic name, or null when it is. */
export function topicNameError(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is longer than the maximum of ${MAX_TOPIC_NAME_LENGTH} characters`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** '.' and '_' collide in metric names, so Kafka refuses topics that differ only by them. */
export function topicCollisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

/** Internal topics: clients may not create or delete them through the admin API by accident. */
export function isInternalTopic(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state' || name === '__cluster_metadata';
}
