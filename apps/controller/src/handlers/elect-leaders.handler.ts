import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { electLeaders, PREFERRED } from '../controller/elections';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

/** ElectLeaders (API 43): preferred (0) or unclean (1) leader elections; answered once committed. */
export function electLeadersHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(ctx, req) {
      // v0 has no electionType field: it only ever asked for preferred elections.
      const electionType = ctx.header.apiVersion >= 1 ? (req.electionType ?? PREFERRED) : PREFERRED;
      const targets =
        req.topicPartitions === null || req.topicPartitions === undefined
          ? null
          : (req.topicPartitions as any[]).map((t) => ({ topic: t.topic, partitions: [...(t.partitions ?? [])] as number[] }));
      try {
        const result = await s.controller.write((image) => {
          const r = electLeaders(image, electionType, targets);
          return { ...r, electionKind: electionType === PREFERRED ? 'preferred' : 'clean' };
        });
        return { throttleTimeMs: 0, ...result };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return {
          throttleTimeMs: 0,
          errorCode: code,
          replicaElectionResults: (targets ?? []).map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: code, errorMessage: message })),
          })),
        };
      }
    },
  };
}
