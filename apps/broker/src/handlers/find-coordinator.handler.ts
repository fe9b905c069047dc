// FindCoordinator (key 10, v0-4): the broker leading the key's __consumer_offsets partition (key type 0, groups)
// or __transaction_state partition (key type 1). v4 looks up a batch of keys. The internal topic is created
// through the controller on first use; until it has leaders the answer is COORDINATOR_NOT_AVAILABLE.
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, groupService } from '../groups/group-api';
import { GroupErr } from '../groups/group-errors';
import { defaultMessage } from '../admin/common';

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const svc = groupService(ctx);
    const keyType = ctx.apiVersion >= 1 ? req.keyType : 0;
    if (ctx.apiVersion >= 4) {
      const coordinators = await Promise.all(
        arr(req.coordinatorKeys).map(async (key) => {
          const r = await svc.findCoordinator(key, keyType, ctx.listener);
          return { key, nodeId: r.nodeId, host: r.host, port: r.port, errorCode: r.errorCode, errorMessage: defaultMessage(r.errorCode) };
        }),
      );
      return { throttleTimeMs: 0, coordinators } as unknown as FindCoordinatorResponse;
    }
    const r = await svc.findCoordinator(req.key, keyType, ctx.listener);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: defaultMessage(r.errorCode),
      nodeId: r.nodeId,
      host: r.host,
      port: r.port,
    } as unknown as FindCoordinatorResponse;
  },
  errorResponse(ctx, req, errorCode) {
    const code = errorCode === 0 ? GroupErr.COORDINATOR_NOT_AVAILABLE : errorCode;
    return {
      throttleTimeMs: 0,
      errorCode: code,
      errorMessage: defaultMessage(code),
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: arr(req.coordinatorKeys).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: defaultMessage(code) })),
    } as unknown as FindCoordinatorResponse;
  },
};
