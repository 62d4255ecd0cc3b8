import { ServiceUnavailableError } from '../errors/domain-error';
import { askUntilAnswered } from './ask-until-answered';

export interface LostAnswer<T> {
  /** Whether the failed call may have run at all (false: it surely did not, e.g. never sent). */
  readonly mayHaveRun: boolean;
  /** Reads what the call records when it runs: null or undefined if it left no record. */
  readonly lookup: () => Promise<T | null | undefined>;
  /** Runs when the store cannot be asked either, before the 503 (e.g. to undo the step later). */
  readonly onUnreachable?: () => void;
}

/**
 * The one lost-answer lookup: a call to the store failed without its answer (the connection died,
 * a timeout), so whether it ran is unknown. If it may have run, asks the store what it recorded
 * (for up to RESOLVE_FOR_MS) and returns that record, so the request goes on as if answered.
 * Otherwise the client gets SERVICE_UNAVAILABLE with nothing applied: the call did not run, it
 * left no record, or the store could not be asked (then `onUnreachable` names what to settle).
 */
export async function recordOfLostCall<T>(error: unknown, lost: LostAnswer<T>): Promise<T> {
  if (!lost.mayHaveRun) throw new ServiceUnavailableError(error);
  let record: T | null | undefined;
  try {
    record = await askUntilAnswered(lost.lookup);
  } catch {
    lost.onUnreachable?.();
    throw new ServiceUnavailableError(error);
  }
  if (record === null || record === undefined) throw new ServiceUnavailableError(error);
  return record;
}
