import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/**
 * Reads a Chromium net log (`--log-net-log=FILE`, written when the browser closes) for what went
 * out of the browser process itself, which page routing cannot see: its own services (autofill,
 * sign-in, component updates) send requests of their own.
 */

interface NetLogEvent {
  type: number;
  source: { id: number; type: number };
  params?: Record<string, unknown>;
}

export interface NetLogReport {
  /** Sockets connected, or datagrams sent, to an address off this machine. */
  remoteSockets: string[];
  /** Host name lookups (DNS) of names other than this machine's. */
  lookups: string[];
}

/** True for localhost, 127.0.0.0/8, ::1 and ::ffff:127.x, with or without a port. */
export function isLoopbackAddress(address: string): boolean {
  let host = address;
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(address);
  if (bracketed) host = bracketed[1];
  else if (/^[^:]+:\d+$/.test(address)) host = address.replace(/:\d+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.toLowerCase().startsWith('::ffff:127.');
}

function hostOf(value: string): string {
  try {
    return new URL(value).hostname;
  } catch {
    return value.replace(/:\d+$/, '');
  }
}

export function readNetLog(file: string): NetLogReport {
  const text = readFileSync(file, 'utf8');
  // Complete when the browser closed cleanly; tolerate a log cut after its last event.
  let log: { constants: { logEventTypes: Record<string, number> }; events: NetLogEvent[] };
  try {
    log = JSON.parse(text);
  } catch {
    log = JSON.parse(text.trimEnd().replace(/,$/, '') + ']}');
  }
  const types = Object.fromEntries(
    Object.entries(log.constants.logEventTypes).map(([name, id]) => [id, name]),
  );
  const socketAddress = new Map<number, string>();
  const remoteSockets = new Set<string>();
  const lookups = new Set<string>();
  for (const event of log.events) {
    const type = types[event.type];
    const params = event.params ?? {};
    // (An event's end, without params, repeats its type.)
    if ((type === 'TCP_CONNECT_ATTEMPT' || type === 'UDP_CONNECT') && params.address) {
      const address = String(params.address);
      socketAddress.set(event.source.id, address);
      // A TCP attempt sends a SYN; a UDP connect sends nothing (Chromium probes routes so).
      if (type === 'TCP_CONNECT_ATTEMPT' && !isLoopbackAddress(address))
        remoteSockets.add(`tcp ${address}`);
    }
    if (type === 'UDP_BYTES_SENT' || type === 'SOCKET_BYTES_SENT') {
      const address = String(params.address ?? socketAddress.get(event.source.id) ?? '');
      if (address && !isLoopbackAddress(address)) remoteSockets.add(`sent to ${address}`);
    }
    if (
      type === 'HOST_RESOLVER_MANAGER_JOB' ||
      type === 'HOST_RESOLVER_SYSTEM_TASK' ||
      type === 'DNS_TRANSACTION'
    ) {
      const host = hostOf(String(params.host ?? params.hostname ?? ''));
      // `~notfound` is the answer of --host-resolver-rules' MAP * ~NOTFOUND: no lookup is made.
      if (host && host !== '~notfound' && !isLoopbackAddress(host)) lookups.add(host);
    }
  }
  return {
    remoteSockets: [...remoteSockets],
    lookups: [...lookups],
  };
}
