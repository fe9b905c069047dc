import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

export function brokerHeartbeatHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.BrokerHeartbeat,
    minVersion: 0,
    maxVersion: 1,
    async handle(_ctx, req) {
      try {
        if (!s.controller.active) throw new Error('not active');
        const r = await s.brokers.heartbeat({
          brokerId: req.brokerId,
          brokerEpoch: Number(req.brokerEpoch),
          currentMetadataOffset: Number(req.currentMetadataOffset),
          wantFence: !!req.wantFence,
          wantShutDown: !!req.wantShutDown,
        });
        return { throttleTimeMs: 0, ...r };
      } catch (e) {
        const code = s.controller.active ? toErrorCode(e).code : 41; // NOT_CONTROLLER
        return { throttleTimeMs: 0, errorCode: code, isCaughtUp: false, isFenced: true, shouldShutDown: false };
      }
    },
  };
}
