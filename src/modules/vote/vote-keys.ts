import { RedisKeys } from '../../infra/redis/redis-keys';
import { TICKET_USE_KEYS } from '../ticket/ticket-keys';

const HEAL = [RedisKeys.voteCounts, RedisKeys.voteVersions, RedisKeys.votePending, RedisKeys.voteInflight];

/**
 * The keys of the vote scripts, in the order each script takes them (see its header). Apart from
 * the services, so that the tests of the scripts run them with the very same lists.
 */
export const VOTE_KEYS = {
  /** vote-take.lua: the ticket's keys, versions, pending, in flight. */
  take: [...TICKET_USE_KEYS, RedisKeys.voteVersions, RedisKeys.votePending, RedisKeys.voteInflight],
  /** vote-cache-heal.lua: counts, versions, pending, in flight. */
  heal: HEAL,
  /** vote-settle.lua: as heal, then the ticket's keys. */
  settle: [...HEAL, ...TICKET_USE_KEYS],
} as const;
