import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { isRetryableLockError } from '../../infra/database/mysql-errors';

/** Attempts of one group commit when InnoDB picks it as a deadlock victim. */
const LOCK_RETRIES = 5;

/** `vote_count` in plain SQL that runs on MariaDB and MySQL 8 alike. */
@Injectable()
export class VoteCountRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Adds `votes` to each user's count in ONE statement, so the whole group commits or none of it
   * does. Rows go in user id order: concurrent groups from several nodes then take their row
   * locks in the same order, which avoids most deadlocks; InnoDB rolls a victim back entirely,
   * so it is retried.
   */
  async addVotes(totals: ReadonlyMap<number, number>): Promise<void> {
    const rows = [...totals].sort(([a], [b]) => a - b);
    const sql = `INSERT INTO vote_count (user_id, votes) VALUES ${rows.map(() => '(?, ?)').join(', ')}
      ON DUPLICATE KEY UPDATE votes = votes + VALUES(votes)`;
    const params = rows.flat();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.query(sql, params);
        return;
      } catch (error) {
        if (attempt >= LOCK_RETRIES || !isRetryableLockError(error)) throw error;
        await sleep(Math.random() * 5 * attempt);
      }
    }
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
