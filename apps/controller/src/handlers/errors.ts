import { ErrorCode } from '@runnel/protocol';
import { NotLeaderError } from '../raft/raft-client';
import { ControllerError } from '../controller/quorum-controller';

/** Maps a failed controller write to a Kafka error code and message. */
export function toErrorCode(e: unknown): { code: number; message: string } {
  if (e instanceof ControllerError) return { code: e.code, message: e.message };
  if (e instanceof NotLeaderError) return { code: ErrorCode.NOT_CONTROLLER, message: 'This node is not the active controller.' };
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: (e as Error)?.message ?? String(e) };
}
