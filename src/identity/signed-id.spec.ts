import { DatasetSignedIds, SignedIdCodec, deriveKey } from './signed-id';

describe('SignedIdCodec', () => {
  const codec = new SignedIdCodec(deriveKey('a-test-secret-of-some-length', 'access-token', 'v1'));

  it('opens what it issued, for any owner', () => {
    for (const owner of [0, 1, 42, 9999, 2 ** 31, 2 ** 32 - 1])
      expect(codec.open(codec.issue(owner))).toBe(owner);
  });

  it('never issues the same id twice', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => codec.issue(7)));
    expect(ids.size).toBe(10_000);
  });

  it('does not show the owner in the id', () => {
    const a = codec.issue(1);
    const b = codec.issue(1);
    expect(a.slice(0, 16)).not.toBe(b.slice(0, 16));
    expect(a).not.toContain('AAAAA');
  });

  it('refuses every single-character edit', () => {
    const id = codec.issue(12345);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < id.length; i++) {
      for (const c of alphabet) {
        if (c === id[i]) continue;
        expect(codec.open(id.slice(0, i) + c + id.slice(i + 1))).toBeUndefined();
      }
    }
  });

  it('refuses non-canonical encodings of the same bytes', () => {
    const id = codec.issue(5);
    const raw = Buffer.from(id, 'base64url');
    expect(codec.open(raw.toString('base64'))).toBe(id === raw.toString('base64') ? 5 : undefined);
    expect(codec.open(`${id}=`)).toBeUndefined();
    expect(codec.open(`${id}==`)).toBeUndefined();
    expect(codec.open(id.toUpperCase())).toBeUndefined();
    expect(codec.open(` ${id}`)).toBeUndefined();
    expect(codec.open(`${id}\n`)).toBeUndefined();
  });

  it('refuses the trailing-bit variants that decode to the same bytes', () => {
    const id = codec.issue(5);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = [...alphabet]
      .map((c) => id.slice(0, -1) + c)
      .filter((v) => v !== id && Buffer.from(v, 'base64url').equals(Buffer.from(id, 'base64url')));
    expect(sameBytes.length).toBeGreaterThan(0);
    for (const variant of sameBytes) expect(codec.open(variant)).toBeUndefined();
  });

  it('refuses ids of another key, purpose or dataset', () => {
    const id = codec.issue(3);
    expect(
      new SignedIdCodec(deriveKey('a-test-secret-of-some-length', 'cart-id', 'v1')).open(id),
    ).toBeUndefined();
    expect(
      new SignedIdCodec(deriveKey('a-test-secret-of-some-length', 'access-token', 'v2')).open(id),
    ).toBeUndefined();
    expect(
      new SignedIdCodec(deriveKey('another-secret-of-some-length', 'access-token', 'v1')).open(id),
    ).toBeUndefined();
  });

  it('refuses values that are not strings or not the right shape', () => {
    for (const value of [undefined, null, 42, {}, [], '', 'x', 'a'.repeat(38), 'a'.repeat(1000)]) {
      expect(codec.open(value)).toBeUndefined();
    }
  });
});

describe('DatasetSignedIds', () => {
  class Ids extends DatasetSignedIds {
    constructor() {
      super('test-purpose', 'a-test-secret-of-some-length');
    }
  }
  const ids = new Ids();
  const load = (dataset: { version: string }) => ids.loadDataset(dataset);

  it('refuses everything before a dataset is loaded, then opens what it issued (again and again)', async () => {
    expect(ids.open('anything')).toBeUndefined();
    await load({ version: 'v1' });
    const id = ids.issue(77);
    expect(ids.open(id)).toBe(77);
    expect(ids.open(id)).toBe(77);
    expect(ids.open(`${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
  });

  it('stops accepting ids of the replaced dataset, even ones it had verified before', async () => {
    await load({ version: 'v1' });
    const id = ids.issue(5);
    expect(ids.open(id)).toBe(5);
    await load({ version: 'v2' });
    expect(ids.open(id)).toBeUndefined();
    expect(ids.open(ids.issue(5))).toBe(5);
  });
});
