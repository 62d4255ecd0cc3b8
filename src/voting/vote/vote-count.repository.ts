import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { isRetryableLockError } from '../../platform/database/mysql-errors';
import { OneTripTransactions } from '../../platform/database/one-trip-transactions';

/** Attempts of one group commit when InnoDB picks it as a deadlock victim. */
const LOCK_RETRIES = 5;

/** `vote_count` in plain SQL that runs on MariaDB and MySQL 8 alike. */
@Injectable()
export class VoteCountRepository {
  constructor(
    private readonly db: DataSource,
    private readonly oneTrip: OneTripTransactions,
  ) {}

  /**
   * Adds `votes` to each user's count and records the group, in one transaction: the whole group
   * commits or none of it does. Rows go in user id order: concurrent groups from several nodes
   * then take their row locks in the same order, which avoids most deadlocks; InnoDB rolls a
   * victim back entirely, so it is retried. One round trip (see OneTripTransactions): this runs for
   * every group of votes.
   */
  async addVotes(groupId: string, totals: ReadonlyMap<number, number>): Promise<void> {
    const rows = [...totals].sort(([a], [b]) => a - b);
    const sql = `INSERT INTO vote_count (user_id, votes) VALUES ${rows.map(() => '(?, ?)').join(', ')}
      ON DUPLICATE KEY UPDATE votes = votes + VALUES(votes)`;
    const params = rows.flat();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.oneTrip.run([
          ['INSERT INTO vote_group (id) VALUES (?)', [groupId]],
          [sql, params],
        ]);
        return;
      } catch (error) {
        if (attempt >= LOCK_RETRIES || !isRetryableLockError(error)) throw error;
        await sleep(Math.random() * 5 * attempt);
      }
    }
  }

  /**
   * For a group whose commit outcome is unknown: true if it committed; otherwise voids it, so that
   * it never can, and returns false. Should its transaction still be open on the server, the
   * insert waits for its row lock, so the answer is final either way.
   */
  async voidUnlessCommitted(groupId: string): Promise<boolean> {
    const voided: { affectedRows: number } = await this.db.query(
      'INSERT IGNORE INTO vote_group (id, voided) VALUES (?, 1)',
      [groupId],
    );
    if (voided.affectedRows === 1) return false;
    const rows: { voided: number | string }[] = await this.db.query(
      'SELECT voided FROM vote_group WHERE id = ?',
      [groupId],
    );
    return rows.length === 1 && Number(rows[0].voided) === 0;
  }

  /**
   * For a group answered as failed while its commit outcome was still unknown: makes sure it counts
   * for nothing, in one transaction. A group that never committed is voided like above; one that
   * did has its votes taken back and is marked void. Safe to repeat: a void group is left alone.
   * Run well within the hour groups are kept (VoteGroupPruneJob): a pruned group would look as if
   * it had never committed.
   */
  async revertUnlessVoid(
    groupId: string,
    totals: ReadonlyMap<number, number>,
  ): Promise<'voided' | 'reverted' | 'was-void'> {
    return this.db.transaction(async (tx) => {
      const fenced: { affectedRows: number } = await tx.query(
        'INSERT IGNORE INTO vote_group (id, voided) VALUES (?, 1)',
        [groupId],
      );
      if (fenced.affectedRows === 1) return 'voided';
      const rows: { voided: number | string }[] = await tx.query(
        'SELECT voided FROM vote_group WHERE id = ? FOR UPDATE',
        [groupId],
      );
      if (rows.length === 0 || Number(rows[0].voided) !== 0) return 'was-void';
      // Rows in user id order, as addVotes takes them.
      const rowsOf = [...totals].sort(([a], [b]) => a - b);
      await tx.query(
        `UPDATE vote_count SET votes = votes - CASE user_id ${rowsOf.map(() => 'WHEN ? THEN ?').join(' ')} END
          WHERE user_id IN (${rowsOf.map(() => '?').join(', ')})`,
        [...rowsOf.flat(), ...rowsOf.map(([id]) => id)],
      );
      await tx.query('UPDATE vote_group SET voided = 1 WHERE id = ?', [groupId]);
      return 'reverted';
    });
  }

  /** Forgets groups older than `maxAgeS` seconds, at most `limit` of them; returns how many. */
  async pruneGroups(maxAgeS: number, limit: number): Promise<number> {
    const result: { affectedRows: number } = await this.db.query(
      'DELETE FROM vote_group WHERE created_at < NOW(3) - INTERVAL ? SECOND LIMIT ?',
      [maxAgeS, limit],
    );
    return result.affectedRows;
  }

  /** A user's count; 0 for a user never voted for. */
  async countOf(userId: number): Promise<number> {
    const rows: { votes: string | number }[] = await this.db.query(
      'SELECT votes FROM vote_count WHERE user_id = ?',
      [userId],
    );
    return rows.length === 0 ? 0 : Number(rows[0].votes);
  }
}
