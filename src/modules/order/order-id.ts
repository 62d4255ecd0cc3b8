import { randomBytes } from 'node:crypto';

/** 96 random bits, base64url: unique without coordination between nodes. */
export function newOrderId(): string {
  return randomBytes(12).toString('base64url');
}
