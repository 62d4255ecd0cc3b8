import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who this process is in the cluster: every worker process is a node of its own. The random part
 * tells apart a restarted process that got the same pid (containers restart as pid 1). No ':' in
 * it, since lease values are "<node id>:<epoch>".
 */
export class NodeIdentity {
  constructor(readonly id: string) {}

  static create(host = hostname(), pid = process.pid): NodeIdentity {
    const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'node';
    return new NodeIdentity(`${safeHost}-${pid}-${randomBytes(3).toString('hex')}`);
  }
}
