import type { RequestHeader } from '@runnel/protocol';

export interface ControllerRequestContext {
  header: RequestHeader;
  connectionId: number;
  clientAddress: string;
}

/** One Kafka API served on the controller listener. */
export interface ControllerApiHandler {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  /** Decoded request body in, response body out (encoded at the request's version). */
  handle(ctx: ControllerRequestContext, request: any): Promise<any>;
}
