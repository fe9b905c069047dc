import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { createPartitions } from '../controller/topic-ops';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

export function createPartitionsHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(_ctx, req) {
      const topics = (req.topics ?? []).map((t: any) => ({
        name: t.name,
        count: t.count,
        assignments: t.assignments ? t.assignments.map((a: any) => ({ brokerIds: a.brokerIds ?? [] })) : null,
      }));
      try {
        const results = await s.controller.write((image) => createPartitions(image, topics, !!req.validateOnly, s.topicOps));
        return { throttleTimeMs: 0, results };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return { throttleTimeMs: 0, results: topics.map((t: { name: string }) => ({ name: t.name, errorCode: code, errorMessage: message })) };
      }
    },
  };
}
