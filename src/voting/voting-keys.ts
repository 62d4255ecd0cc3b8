/**
 * The voting context's Redis keys, tagged by the entity they belong to: the ticket's state on the
 * `{ticket}` slot (with the leader lease, which fences a rotation), and each user's count, version
 * and in-flight marks on the user's own slot `{u<id>}` (shared with that user's ordering keys). A
 * script touches one slot; a vote for three users makes one call on each user's slot.
 */
export const VotingKeys = {
  /** The ticket in force. No TTL: valid until the next rotation replaces it (no gap). */
  ticket: 'vote:{ticket}:current',
  /** Uses of the ticket in force granted to nodes (allowances), never above TICKET_MAX_USES. */
  ticketUses: 'vote:{ticket}:uses',
  /** The ticket just replaced and its uses, kept for TICKET_GRACE_MS (absent when the grace is 0). */
  previousTicket: 'vote:{ticket}:prev',
  previousTicketUses: 'vote:{ticket}:uses:prev',
  /** Hash of the last rotation: epoch (fence), at (Redis TIME, ms), by (node id). */
  ticketRotation: 'vote:{ticket}:rotation',
  /** List of the last rotations as "at epoch nodeId", newest first (operations and tests). */
  ticketRotationLog: 'vote:{ticket}:rotation-log',
  /**
   * Hash of one user's votes in Redis: `c` cached count (cache-aside over vote_count), `v` version
   * (bumped by every vote step; a cache fill needs it unchanged), `p` votes in flight (between
   * their Redis step and their settle; a cached count is served and filled only at 0), and
   * `f:<vote token>` the Redis time (ms) each of those votes was marked.
   */
  userVotes: (userId: number | string): string => `vote:{u${userId}}:votes`,
  /** Pub/sub: a node out of uses of a ticket asks the others for theirs (message: node|ticket). */
  recallChannel: 'vote:recall',
} as const;
