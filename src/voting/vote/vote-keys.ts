import { VotingKeys } from '../voting-keys';
import { TICKET_USE_KEYS } from '../ticket/ticket-keys';

const HEAL = [
  VotingKeys.voteCounts,
  VotingKeys.voteVersions,
  VotingKeys.votePending,
  VotingKeys.voteInflight,
];

/**
 * The keys of the vote scripts, in the order each script takes them (see its header). Apart from
 * the services, so that the tests of the scripts run them with the very same lists.
 */
export const VOTE_KEYS = {
  /** vote-take.lua: the ticket's keys, versions, pending, in flight. */
  take: [
    ...TICKET_USE_KEYS,
    VotingKeys.voteVersions,
    VotingKeys.votePending,
    VotingKeys.voteInflight,
  ],
  /** vote-cache-heal.lua: counts, versions, pending, in flight. */
  heal: HEAL,
  /** vote-settle.lua: as heal, then the ticket's keys. */
  settle: [...HEAL, ...TICKET_USE_KEYS],
} as const;
