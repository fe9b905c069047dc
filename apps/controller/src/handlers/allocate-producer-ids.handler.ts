import { ApiKey, ErrorCode } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

/** Kafka hands producer ids to brokers in blocks of this size. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export function allocateProducerIdsHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.AllocateProducerIds,
    minVersion: 0,
    maxVersion: 0,
    async handle(_ctx, req) {
      try {
        const r = await s.controller.write((image) => {
          const b = image.brokers.get(req.brokerId);
          if (!b) return { records: [], result: { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, start: -1 } };
          if (b.epoch !== Number(req.brokerEpoch)) return { records: [], result: { errorCode: ErrorCode.STALE_BROKER_EPOCH, start: -1 } };
          const start = Math.max(0, image.nextProducerId);
          return {
            records: [
              {
                name: 'ProducerIdsRecord',
                version: 0,
                data: { brokerId: b.id, brokerEpoch: BigInt(b.epoch), nextProducerId: BigInt(start + PRODUCER_ID_BLOCK_SIZE) },
              },
            ],
            result: { errorCode: 0, start },
          };
        });
        return {
          throttleTimeMs: 0,
          errorCode: r.errorCode,
          producerIdStart: BigInt(r.start),
          producerIdLen: r.errorCode ? 0 : PRODUCER_ID_BLOCK_SIZE,
        };
      } catch (e) {
        return { throttleTimeMs: 0, errorCode: toErrorCode(e).code, producerIdStart: -1n, producerIdLen: 0 };
      }
    },
  };
}
