import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the OS CSPRNG, drawn from a pool refilled 4 KiB at a time. Every hot path
 * (order ids, cart ids, tokens, vote uses) needs a few random bytes per request; one
 * `randomBytes(n)` call per id costs a native call and a getpid() syscall (OpenSSL's fork check)
 * each time, about 2 µs, which the pool pays once per few hundred ids. Node's own
 * `crypto.randomUUID()` keeps a cache the same way. Each worker process has its own pool: a
 * forked child never shares bytes with its parent because the pool is created at first use.
 */
const POOL_BYTES = 4096;
let pool: Buffer | undefined;
let offset = POOL_BYTES;

/** Copies `length` fresh random bytes into `target` at `at`; no byte is ever handed out twice. */
export function fillRandom(target: Buffer, at: number, length: number): void {
  if (length > POOL_BYTES) {
    randomFillSync(target, at, length);
    return;
  }
  if (offset + length > POOL_BYTES) {
    pool ??= Buffer.allocUnsafeSlow(POOL_BYTES);
    randomFillSync(pool);
    offset = 0;
  }
  (pool as Buffer).copy(target, at, offset, offset + length);
  offset += length;
}

/** `length` random bytes as base64url (length 12 gives 16 characters). */
export function randomBase64url(length: number): string {
  const out = Buffer.allocUnsafe(length);
  fillRandom(out, 0, length);
  return out.toString('base64url');
}
