// IncrementalAlterConfigs (key 44, v0-1): SET / DELETE / APPEND / SUBTRACT per key. BROKER_LOGGER resources are
// applied by this broker; TOPIC and BROKER resources are checked here and forwarded to the controller
// (admin/alter-configs.ts).
import { ApiKey } from '@runnel/protocol';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import { AlterResource, alterConfigs, alterResult } from '../admin/alter-configs';
import { arr } from '../admin/common';

export function incrementalResources(req: IncrementalAlterConfigsRequest): AlterResource[] {
  return arr(req?.resources).map((r) => ({
    resourceType: typeof r?.resourceType === 'number' ? r.resourceType : 0,
    resourceName: typeof r?.resourceName === 'string' ? r.resourceName : '',
    configs: arr(r?.configs).map((c) => ({
      name: String(c?.name ?? ''),
      value: c?.value ?? null,
      op: typeof c?.configOperation === 'number' ? c.configOperation : -1,
    })),
  }));
}

export async function handleIncrementalAlterConfigs(ctx: RequestContext, req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  const validateOnly = req.validateOnly === true;
  const responses = await alterConfigs(ctx, incrementalResources(req), {
    legacy: false,
    validateOnly,
    send: async (items) => {
      const res = await ctx.services.controller.forward<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, ctx.apiVersion, {
        resources: items.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: r.configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })),
        })),
        validateOnly,
      });
      return arr(res?.responses);
    },
  });
  return { throttleTimeMs: 0, responses } as IncrementalAlterConfigsResponse;
}

export const incrementalAlterConfigsHandler: ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  handle: (ctx, req) => handleIncrementalAlterConfigs(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    return { throttleTimeMs: 0, responses: incrementalResources(req).map((r) => alterResult(r, errorCode)) } as IncrementalAlterConfigsResponse;
  },
};
