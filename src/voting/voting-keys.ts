/**
 * The voting context's Redis keys. Keys one Lua script touches together share the hash tag `{v}`,
 * so the scripts run unchanged on Redis Cluster.
 */
export const VotingKeys = {
  /** The ticket in force. No TTL: valid until the next rotation replaces it (no gap). */
  ticket: 'vote:{v}:ticket',
  /** Votes taken with the ticket in force. */
  ticketUses: 'vote:{v}:uses',
  /** The ticket just replaced and its uses, kept for TICKET_GRACE_MS (absent when the grace is 0). */
  previousTicket: 'vote:{v}:ticket:prev',
  previousTicketUses: 'vote:{v}:uses:prev',
  /** Hash of the last rotation: epoch (fence), at (Redis TIME, ms), by (node id). */
  ticketRotation: 'vote:{v}:rotation',
  /** List of the last rotations as "at epoch nodeId", newest first (operations and tests). */
  ticketRotationLog: 'vote:{v}:rotation-log',
  /** Hash user id -> cached vote count (cache-aside over vote_count). */
  voteCounts: 'vote:{v}:counts',
  /** Hash user id -> version, bumped by every vote step; a cache fill needs it unchanged. */
  voteVersions: 'vote:{v}:versions',
  /** Hash user id -> votes between their Redis step and their cache update; a fill needs 0. */
  votePending: 'vote:{v}:pending',
  /** Hash vote token -> "<Redis ms>:<user ids>" of each vote between its Redis step and settling. */
  voteInflight: 'vote:{v}:inflight',
} as const;
