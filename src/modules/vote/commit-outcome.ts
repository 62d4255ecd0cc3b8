/** What became of a vote's MySQL commit. `in-doubt`: the connection died, it may have committed. */
export type CommitOutcome =
  { status: 'committed' } | { status: 'failed' | 'in-doubt'; error: unknown };
