// Small helpers shared by the group handlers (apps/broker/src/handlers/*group*, *offset*, find-coordinator).
import type { RequestContext } from '../api/handler';
import type { GroupCoordinator } from './group-coordinator';
import { groupCoordinatorFor, type GroupCoordinatorService } from './group-coordinator.service';

export function groupService(ctx: RequestContext): GroupCoordinatorService {
  return groupCoordinatorFor(ctx.services);
}

export function coordinatorOf(ctx: RequestContext): GroupCoordinator {
  return groupCoordinatorFor(ctx.services).coordinator;
}

/** Kafka reports a member's host as "/<ip>" (Java's InetAddress.toString()). */
export function clientHostOf(ctx: RequestContext): string {
  const addr = ctx.clientAddress ?? '';
  let host = addr;
  const bracket = /^\[(.*)\]:\d+$/.exec(addr);
  if (bracket) host = bracket[1];
  else {
    const i = addr.lastIndexOf(':');
    if (i > 0 && addr.indexOf(':') === i) host = addr.slice(0, i);
  }
  return `/${host.replace(/^::ffff:/, '')}`;
}

/** Arrays from decoded requests may be null (nullable versions); treat that as empty where Kafka does. */
export function arr<T>(v: readonly T[] | null | undefined): T[] {
  return Array.isArray(v) ? [...v] : [];
}

/** Group operations Kafka reports in authorizedOperations (READ=3, DELETE=6, DESCRIBE=8), without ACLs: all. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
