import { randomBase64url } from '../../platform/random/random-pool';

/** 96 random bits, base64url: unique without coordination between nodes. */
export function newOrderId(): string {
  return randomBase64url(12);
}
