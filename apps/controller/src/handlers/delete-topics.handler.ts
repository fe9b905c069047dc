import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { deleteTopics } from '../controller/topic-ops';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

export function deleteTopicsHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(ctx, req) {
      const v = ctx.header.apiVersion;
      const targets =
        v >= 6
          ? (req.topics ?? []).map((t: any) => ({ name: t.name ?? null, topicId: t.topicId ?? null }))
          : (req.topicNames ?? []).map((name: string) => ({ name, topicId: null }));
      try {
        const results = await s.controller.write((image) => deleteTopics(image, targets));
        return { throttleTimeMs: 0, responses: results.map((r) => ({ ...r, name: v >= 6 ? r.name : r.name ?? '' })) };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return {
          throttleTimeMs: 0,
          responses: targets.map((t: any) => ({ name: t.name ?? (v >= 6 ? null : ''), topicId: t.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: code, errorMessage: message })),
        };
      }
    },
  };
}
