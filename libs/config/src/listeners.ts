import { ConfigError } from './errors';

export interface Listener {
  /** Listener name, upper case as Kafka normalises it (PLAINTEXT, CONTROLLER, ...). */
  name: string;
  /** Host to bind/advertise; '' means all interfaces (Kafka's `PLAINTEXT://:9092`). IPv6 without brackets. */
  host: string;
  port: number;
  /** Security protocol from listener.security.protocol.map (defaults to the name when it is a protocol). */
  securityProtocol: string;
}

export const DEFAULT_SECURITY_PROTOCOL_MAP =
  'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Parses `listener.security.protocol.map` ("NAME:PROTOCOL,..."). */
export function parseSecurityProtocolMap(text: string = DEFAULT_SECURITY_PROTOCOL_MAP, key = 'listener.security.protocol.map'): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of splitList(text)) {
    const m = /^([A-Za-z0-9_.-]+):([A-Za-z_]+)$/.exec(item);
    if (!m) throw ConfigError.invalid(key, text, `Invalid map entry "${item}": expected NAME:PROTOCOL`);
    const proto = m[2].toUpperCase();
    if (!SECURITY_PROTOCOLS.includes(proto)) {
      throw ConfigError.invalid(key, text, `Unknown security protocol ${m[2]} (expected one of ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    map.set(m[1].toUpperCase(), proto);
  }
  return map;
}

/**
 * Parses `listeners` / `advertised.listeners`: "NAME://host:port,...". Host may be empty (all
 * interfaces), a name, an IPv4 address or a bracketed IPv6 address. Listener names must be unique.
 */
export function parseListeners(
  text: string,
  options: { key?: string; protocolMap?: string | Map<string, string>; syntaxOnly?: boolean } = {},
): Listener[] {
  const key = options.key ?? 'listeners';
  const protocolMap =
    options.protocolMap instanceof Map ? options.protocolMap : parseSecurityProtocolMap(options.protocolMap ?? DEFAULT_SECURITY_PROTOCOL_MAP);
  const out: Listener[] = [];
  for (const item of splitList(text)) {
    const m = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9a-fA-F:.%a-zA-Z]*\]|[^:/\s]*):(\d+)$/.exec(item);
    if (!m) {
      throw ConfigError.invalid(key, text, `Unable to parse "${item}" as a listener: expected NAME://host:port (e.g. PLAINTEXT://127.0.0.1:9092)`);
    }
    const name = m[1].toUpperCase();
    let host = m[2];
    if (host.startsWith('[')) host = host.slice(1, -1);
    const port = Number(m[3]);
    if (port > 65535) throw ConfigError.invalid(key, text, `Port ${port} of listener ${name} is out of range 0-65535`);
    if (out.some((l) => l.name === name)) throw ConfigError.invalid(key, text, `Each listener must have a different name; ${name} appears twice`);
    const securityProtocol = protocolMap.get(name) ?? (SECURITY_PROTOCOLS.includes(name) ? name : options.syntaxOnly ? 'PLAINTEXT' : undefined);
    if (!securityProtocol) {
      throw ConfigError.invalid(key, text, `No security protocol defined for listener ${name} (add it to listener.security.protocol.map)`);
    }
    out.push({ name, host, port, securityProtocol });
  }
  return out;
}

export interface QuorumVoter {
  nodeId: number;
  host: string;
  port: number;
}

/** Parses `controller.quorum.voters`: "1@host:port,2@host:port" (IPv6 in brackets). */
export function parseQuorumVoters(text: string, key = 'controller.quorum.voters'): QuorumVoter[] {
  const out: QuorumVoter[] = [];
  for (const item of splitList(text)) {
    const m = /^(\d+)@(\[[0-9a-fA-F:.]*\]|[^:@\s]+):(\d+)$/.exec(item);
    if (!m) throw ConfigError.invalid(key, text, `Unable to parse "${item}": expected {id}@{host}:{port}`);
    const nodeId = Number(m[1]);
    const port = Number(m[3]);
    if (port > 65535) throw ConfigError.invalid(key, text, `Port ${port} is out of range 0-65535`);
    if (out.some((x) => x.nodeId === nodeId)) throw ConfigError.invalid(key, text, `Node id ${nodeId} appears twice`);
    let host = m[2];
    if (host.startsWith('[')) host = host.slice(1, -1);
    out.push({ nodeId, host, port });
  }
  return out;
}

/** Parses "host:port,host:port" (controller.quorum.bootstrap.servers, bootstrap lists). */
export function parseHostPorts(text: string, key: string): Array<{ host: string; port: number }> {
  return splitList(text).map((item) => {
    const m = /^(\[[0-9a-fA-F:.]*\]|[^:\s]+):(\d+)$/.exec(item);
    if (!m || Number(m[2]) > 65535) throw ConfigError.invalid(key, text, `Unable to parse "${item}": expected host:port`);
    const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
    return { host, port: Number(m[2]) };
  });
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
