import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders given up on after their node died between taking stock and committing. A row here fences
 * the order: its commit, should the node only have been paused, inserts nothing (see
 * OrderRepository.insertMany), so the stock returned to sale can never be sold twice.
 */
export class OrderVoid1763800000000 implements MigrationInterface {
  name = 'OrderVoid1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE order_void (
      id VARCHAR(32) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE order_void');
  }
}
