// ApiVersions v0-3. The table is derived from the registered handlers (see handlers/index.ts), min version 0
// everywhere (librdkafka 2.0.2 enables features only when old versions fall inside the advertised range).
// A request above v3 never reaches this handler: the dispatcher answers it in the v0 layout with
// UNSUPPORTED_VERSION plus this table, which is what kafkajs and librdkafka fall back on.
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';

export const apiVersionsHandler: ApiHandler = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx: RequestContext) {
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.services.apiVersions().map((v) => ({ apiKey: v.apiKey, minVersion: v.minVersion, maxVersion: v.maxVersion })),
      throttleTimeMs: 0,
    };
  },
};
