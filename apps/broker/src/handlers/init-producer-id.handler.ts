// InitProducerId v0-4.
// Behaviour: idempotent producers (null transactional id) get a fresh producer id with epoch 0, as Kafka does
// even when they pass their previous id (v3+). Ids come in blocks from the controller (AllocateProducerIds).
// Transactional ids are refused with COORDINATOR_NOT_AVAILABLE: there is no transaction coordinator yet.
// Version notes: v2+ is flexible.
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { InitProducerIdRequest, InitProducerIdResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 4,

  async handle(ctx: RequestContext, req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
    if (req.transactionalId !== null && req.transactionalId !== undefined && req.transactionalId !== '') {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
    }
    try {
      const id = await ctx.services.producerIds.nextId();
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
    } catch (err) {
      ctx.services.log.warn(`InitProducerId: no producer id available: ${(err as Error).message}`);
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1n, producerEpoch: -1 };
    }
  },
};
