import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The initial schema. Plain SQL that runs on MariaDB 10.6+ and MySQL 8 alike. No foreign keys:
 * `npm run data -- generate` truncates and reloads whole tables, and every write path already
 * checks references in memory before it reaches MySQL.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    // Names are case-sensitive (binary collation), as in the contest's reference implementations.
    await q.query(`CREATE TABLE \`user\` (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      password_hash VARCHAR(255) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_user_name (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE food (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      price INT UNSIGNED NOT NULL,
      stock INT UNSIGNED NOT NULL,
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    // user_id is unique: the database's own backstop for one order per user.
    await q.query(`CREATE TABLE \`order\` (
      id VARCHAR(32) NOT NULL,
      user_id INT UNSIGNED NOT NULL,
      items VARCHAR(1024) NOT NULL,
      total INT UNSIGNED NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id),
      UNIQUE KEY uq_order_user (user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await q.query(`CREATE TABLE vote_count (
      user_id INT UNSIGNED NOT NULL,
      votes BIGINT UNSIGNED NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    // A single row naming the dataset loaded now; nodes watch it to reload after a regeneration.
    await q.query(`CREATE TABLE dataset (
      id TINYINT UNSIGNED NOT NULL,
      version CHAR(32) NOT NULL,
      users INT UNSIGNED NOT NULL,
      foods INT UNSIGNED NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['dataset', 'vote_count', '`order`', 'food', '`user`'])
      await q.query(`DROP TABLE ${table}`);
  }
}
