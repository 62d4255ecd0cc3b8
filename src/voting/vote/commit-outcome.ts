/** What became of a vote's MySQL commit. `in-doubt`: the connection died, it may have committed. */
export type CommitOutcome =
  { status: 'committed' } | { status: 'failed' | 'in-doubt'; error: unknown };

/**
 * What settling a group records in Redis (vote-settle.lua): `committed`, the votes count;
 * `failed`, nothing was written; `reverted`, the group was written and then taken back, so nothing
 * counts and its users' cached counts, which may have been filled from it, are dropped.
 */
export type SettleOutcome = 'committed' | 'failed' | 'reverted';
