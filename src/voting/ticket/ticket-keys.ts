import { VotingKeys } from '../voting-keys';

/**
 * The keys a script needs to check a ticket and grant or return uses, in the order the scripts
 * take them: ticket, its uses, the previous ticket (grace), its uses, the rotation hash.
 */
export const TICKET_USE_KEYS: readonly string[] = [
  VotingKeys.ticket,
  VotingKeys.ticketUses,
  VotingKeys.previousTicket,
  VotingKeys.previousTicketUses,
  VotingKeys.ticketRotation,
];

/**
 * The ticket and its rotation state, in the rotation script's order (after the leader lease).
 * They belong to no dataset, so `npm run data -- generate` leaves them alone: clearing them left
 * voting without a valid ticket until the next rotation.
 */
export const TICKET_STATE_KEYS: readonly string[] = [
  ...TICKET_USE_KEYS,
  VotingKeys.ticketRotationLog,
];
