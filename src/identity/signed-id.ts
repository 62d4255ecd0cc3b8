import { KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { fillRandom } from '../platform/random/random-pool';

const NONCE_BYTES = 8;
const OWNER_BYTES = 4;
const MAC_BYTES = 16;
const BODY_BYTES = NONCE_BYTES + OWNER_BYTES;
const RAW_BYTES = BODY_BYTES + MAC_BYTES;
/** Bound of the verified-id cache: ~5 MB at most. */
const VERIFIED_CACHE_MAX = 50_000;
const ENCODED = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((RAW_BYTES * 8) / 6)}}$`);

/**
 * Opaque ids that name their owner and can be checked with no round trip: base64url of
 * nonce (64 random bits) | owner (u32, masked with a keyed pad of the nonce) | HMAC-SHA256 of
 * both, truncated to 128 bits. The owner cannot be read off an id, and editing any character
 * breaks the MAC; a string that is not the exact issued form (other base64 alphabet, padding,
 * non-canonical trailing bits) is refused before the MAC is even computed.
 * Used for access tokens and cart ids, each with its own key.
 */
export class SignedIdCodec {
  /** A KeyObject, not the raw bytes: createHmac then skips importing the key, ~1 of its ~3 µs. */
  private readonly key: KeyObject;

  constructor(key: Buffer) {
    this.key = createSecretKey(key);
  }

  issue(owner: number): string {
    const raw = Buffer.allocUnsafe(RAW_BYTES);
    fillRandom(raw, 0, NONCE_BYTES);
    raw.writeUInt32BE((owner ^ this.pad(raw)) >>> 0, NONCE_BYTES);
    this.mac(raw).copy(raw, BODY_BYTES, 0, MAC_BYTES);
    return raw.toString('base64url');
  }

  /** The owner named by a valid id, or undefined for anything else. */
  open(id: unknown): number | undefined {
    if (typeof id !== 'string' || !ENCODED.test(id)) return undefined;
    const raw = Buffer.from(id, 'base64url');
    if (raw.length !== RAW_BYTES || raw.toString('base64url') !== id) return undefined;
    if (!timingSafeEqual(this.mac(raw).subarray(0, MAC_BYTES), raw.subarray(BODY_BYTES)))
      return undefined;
    return (raw.readUInt32BE(NONCE_BYTES) ^ this.pad(raw)) >>> 0;
  }

  private mac(raw: Buffer): Buffer {
    return createHmac('sha256', this.key).update(raw.subarray(0, BODY_BYTES)).digest();
  }

  private pad(raw: Buffer): number {
    return createHmac('sha256', this.key)
      .update('owner-mask')
      .update(raw.subarray(0, NONCE_BYTES))
      .digest()
      .readUInt32BE(0);
  }
}

/** Derives independent keys per purpose and dataset from the one configured secret. */
export function deriveKey(secret: string, purpose: string, datasetVersion: string): Buffer {
  return createHmac('sha256', secret).update(`${purpose}\0${datasetVersion}`).digest();
}

/**
 * A {@link SignedIdCodec} keyed by purpose and the current dataset: every node derives the same
 * key, and ids from a replaced dataset stop working the moment a node loads the new one.
 */
export abstract class DatasetSignedIds {
  private codec: SignedIdCodec | undefined;
  /**
   * Ids this key has verified, so the many requests of one session cost a map lookup instead of
   * two HMACs. Only valid ids get in (a flood of forged ones cannot grow it), it is bounded, and it
   * is dropped with the key when the dataset changes.
   */
  private verified = new Map<string, number>();

  protected constructor(
    private readonly purpose: string,
    private readonly secret: string,
  ) {}

  /** A new key for each dataset: ids of the previous one stop working here. */
  loadDataset({ version }: { version: string }): Promise<void> {
    this.codec = new SignedIdCodec(deriveKey(this.secret, this.purpose, version));
    this.verified = new Map();
    return Promise.resolve();
  }

  /** A new id for `owner`; known valid here, so this worker's next requests with it skip the MAC. */
  issue(owner: number): string {
    if (!this.codec) throw new Error('No dataset loaded yet');
    const id = this.codec.issue(owner);
    this.remember(id, owner);
    return id;
  }

  /** The owner named by a valid id, or undefined for anything else (or before a dataset is loaded). */
  open(id: unknown): number | undefined {
    if (typeof id !== 'string') return undefined;
    const known = this.verified.get(id);
    if (known !== undefined) return known;
    const owner = this.codec?.open(id);
    if (owner !== undefined) this.remember(id, owner);
    return owner;
  }

  private remember(id: string, owner: number): void {
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.set(id, owner);
  }
}
