// AlterConfigs (key 33, v0-2): the legacy whole-set replacement. Checked on the broker (duplicates, resource
// types, names, read-only broker keys, topic config values) and forwarded to the controller; see
// admin/alter-configs.ts. BROKER_LOGGER is refused here as in Kafka (IncrementalAlterConfigs handles it).
import { ApiKey } from '@runnel/protocol';
import type { AlterConfigsRequest, AlterConfigsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import { AlterResource, alterConfigs, alterResult } from '../admin/alter-configs';
import { AlterConfigOp } from '../admin/constants';
import { arr } from '../admin/common';

export function legacyResources(req: AlterConfigsRequest): AlterResource[] {
  return arr(req?.resources).map((r) => ({
    resourceType: typeof r?.resourceType === 'number' ? r.resourceType : 0,
    resourceName: typeof r?.resourceName === 'string' ? r.resourceName : '',
    configs: arr(r?.configs).map((c) => ({ name: String(c?.name ?? ''), value: c?.value ?? null, op: AlterConfigOp.SET })),
  }));
}

export async function handleAlterConfigs(ctx: RequestContext, req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const validateOnly = req.validateOnly === true;
  const responses = await alterConfigs(ctx, legacyResources(req), {
    legacy: true,
    validateOnly,
    send: async (items) => {
      const res = await ctx.services.controller.forward<AlterConfigsResponse>(ApiKey.AlterConfigs, ctx.apiVersion, {
        resources: items.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
        })),
        validateOnly,
      });
      return arr(res?.responses);
    },
  });
  return { throttleTimeMs: 0, responses } as AlterConfigsResponse;
}

export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  handle: (ctx, req) => handleAlterConfigs(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    return { throttleTimeMs: 0, responses: legacyResources(req).map((r) => alterResult(r, errorCode)) } as AlterConfigsResponse;
  },
};
