import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per vote group commit, written in the group's transaction. When the connection dies
 * during a commit, the node settles the doubt by writing the group's row itself, marked void: if
 * the group had committed its row is already there; if not, the void row fences it, so a commit
 * still on its way can never land (its own insert of the row fails and its transaction with it).
 * Rows are pruned after an hour (VoteGroupPruneJob): a doubt is settled within seconds.
 */
export class VoteGroup1763900000000 implements MigrationInterface {
  name = 'VoteGroup1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE vote_group (
      id VARCHAR(32) NOT NULL,
      voided TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      KEY vote_group_created_at (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE vote_group');
  }
}
