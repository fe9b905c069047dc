import { ApiKey, ErrorCode } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';
import { recordsForBrokerRemoval } from '../controller/partition-changes';

export function unregisterBrokerHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.UnregisterBroker,
    minVersion: 0,
    maxVersion: 0,
    async handle(_ctx, req) {
      try {
        const code = await s.controller.write((image) => {
          const b = image.brokers.get(req.brokerId);
          if (!b) return { records: [], result: ErrorCode.BROKER_ID_NOT_REGISTERED };
          return {
            records: [
              ...recordsForBrokerRemoval(image, b.id, s.config),
              { name: 'UnregisterBrokerRecord', version: 0, data: { brokerId: b.id, brokerEpoch: BigInt(b.epoch) } },
            ],
            result: 0,
          };
        });
        return { throttleTimeMs: 0, errorCode: code, errorMessage: code ? `Broker ${req.brokerId} is not registered.` : null };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return { throttleTimeMs: 0, errorCode: code, errorMessage: message };
      }
    },
  };
}
