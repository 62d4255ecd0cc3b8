import { VotingKeys } from '../voting-keys';

/**
 * The keys a script needs to check a ticket and count a use, in the order the scripts take them:
 * ticket, its uses, the previous ticket (grace), its uses. Exported for the vote step, which
 * checks the ticket and takes a use in the same atomic script as its own work.
 */
export const TICKET_USE_KEYS: readonly string[] = [
  VotingKeys.ticket,
  VotingKeys.ticketUses,
  VotingKeys.previousTicket,
  VotingKeys.previousTicketUses,
];

/**
 * The ticket and its rotation state, in the rotation script's order (after the leader lease).
 * They belong to no dataset, so `npm run data -- generate` leaves them alone: clearing them left
 * voting without a valid ticket until the next rotation.
 */
export const TICKET_STATE_KEYS: readonly string[] = [
  ...TICKET_USE_KEYS,
  VotingKeys.ticketRotation,
  VotingKeys.ticketRotationLog,
];
