import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { alterPartition } from '../controller/isr-ops';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

/** AlterPartition (API 56): partition leaders shrink or expand their ISR; answered once committed. */
export function alterPartitionHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.AlterPartition,
    minVersion: 0,
    maxVersion: 3,
    async handle(ctx, req) {
      try {
        // A standby would validate against a stale image: only the active controller answers.
        if (!s.controller.active) throw new Error('not active');
        return await s.controller.write((image) => alterPartition(image, req, ctx.header.apiVersion));
      } catch (e) {
        const code = s.controller.active ? toErrorCode(e).code : 41; // NOT_CONTROLLER
        return { throttleTimeMs: 0, errorCode: code, topics: [] };
      }
    },
  };
}
