import type { TakenUse } from './vote-ledger.service';

/** A commit group whose outcome stayed unknown, answered SERVICE_UNAVAILABLE. */
export interface InDoubtGroup {
  readonly groupId: string;
  /** Votes per user id, as the group wrote them. */
  readonly totals: ReadonlyMap<number, number>;
  readonly uses: readonly TakenUse[];
}

/** An in-doubt group as recorded in Redis, so that it outlives its node. */
export interface InDoubtGroupRecord {
  readonly group: InDoubtGroup;
  /** The node that answered its votes; it settles the group while it lives. */
  readonly nodeId: string;
  /** When it was recorded (that node's clock, ms): only to tell a record too old to settle. */
  readonly at: number;
}

interface Encoded {
  node: string;
  at: number;
  totals: [number, number][];
  uses: { token: string; ticket: string; userIds: number[] }[];
}

export function encodeInDoubtGroup(record: InDoubtGroupRecord): string {
  const encoded: Encoded = {
    node: record.nodeId,
    at: record.at,
    totals: [...record.group.totals],
    uses: record.group.uses.map((u) => ({
      token: u.token,
      ticket: u.ticket,
      userIds: [...u.userIds],
    })),
  };
  return JSON.stringify(encoded);
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The record under `groupId`, or undefined if the value is not one this code wrote. */
export function decodeInDoubtGroup(groupId: string, value: string): InDoubtGroupRecord | undefined {
  let parsed: Partial<Encoded>;
  try {
    parsed = JSON.parse(value) as Partial<Encoded>;
  } catch {
    return undefined;
  }
  const { node, at, totals, uses } = parsed ?? {};
  if (!isText(node) || !Number.isFinite(at) || !Array.isArray(totals) || !Array.isArray(uses))
    return undefined;
  if (!totals.every((t) => Array.isArray(t) && t.length === 2 && isId(t[0]) && isId(t[1])))
    return undefined;
  const validUse = (u: Encoded['uses'][number]): boolean =>
    typeof u === 'object' &&
    u !== null &&
    isText(u.token) &&
    typeof u.ticket === 'string' &&
    Array.isArray(u.userIds) &&
    u.userIds.every(isId);
  if (!uses.every(validUse)) return undefined;
  return { nodeId: node, at: at!, group: { groupId, totals: new Map(totals), uses } };
}
