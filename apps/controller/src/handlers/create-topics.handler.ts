import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { createTopics } from '../controller/topic-ops';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

export function createTopicsHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(_ctx, req) {
      const topics = (req.topics ?? []).map((t: any) => ({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments ?? [],
        configs: t.configs ?? [],
      }));
      try {
        const results = await s.controller.write((image) => createTopics(image, topics, !!req.validateOnly, s.topicOps));
        return {
          throttleTimeMs: 0,
          topics: results.map((r) => ({
            name: r.name,
            topicId: r.topicId,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            numPartitions: r.numPartitions,
            replicationFactor: r.replicationFactor,
            // v5+: the created topic's effective configs; null (not supported) on errors.
            configs: r.errorCode === 0 ? r.configs : null,
          })),
        };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return {
          throttleTimeMs: 0,
          topics: topics.map((t: { name: string }) => ({ name: t.name, errorCode: code, errorMessage: message, numPartitions: -1, replicationFactor: -1, configs: null })),
        };
      }
    },
  };
}
