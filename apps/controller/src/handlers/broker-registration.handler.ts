import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

export function brokerRegistrationHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.BrokerRegistration,
    minVersion: 0,
    maxVersion: 4,
    async handle(_ctx, req) {
      try {
        const r = await s.brokers.register({
          brokerId: req.brokerId,
          clusterId: req.clusterId ?? '',
          incarnationId: req.incarnationId,
          listeners: req.listeners ?? [],
          features: req.features ?? [],
          rack: req.rack ?? null,
        });
        return { throttleTimeMs: 0, errorCode: r.errorCode, brokerEpoch: BigInt(r.brokerEpoch) };
      } catch (e) {
        return { throttleTimeMs: 0, errorCode: toErrorCode(e).code, brokerEpoch: -1n };
      }
    },
  };
}
