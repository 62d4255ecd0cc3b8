import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stock lease an order's units came from. A dead node's lease is reclaimed as granted minus
 * what its committed orders hold, counted here once the lease is fenced in `order_void`.
 */
export class OrderLease1764000000000 implements MigrationInterface {
  name = 'OrderLease1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE `order` ADD COLUMN lease_id VARCHAR(16) NULL, ADD INDEX ix_order_lease (lease_id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `order` DROP INDEX ix_order_lease, DROP COLUMN lease_id');
  }
}
