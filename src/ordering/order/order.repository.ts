import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { WriteOutcome } from '../../platform/database/batch-writer';
import { CartItem, parseItems } from '../stock/cart-items';
import { generationFence } from '../stock/order-state.builder';

export interface OrderRow {
  id: string;
  userId: number;
  items: CartItem[];
  total: number;
}

/** An order to commit, with the lease its stock was taken from and that lease's generation. */
export interface NewOrder extends OrderRow {
  generation: number;
  leaseId: string;
}

/**
 * The `order_void` row that fences a stock lease: written by whoever reclaims it once it expired,
 * after which no order of that lease commits, so what MySQL holds of it is final.
 */
export const leaseFence = (leaseId: string): string => `lease:${leaseId}`;

/**
 * What refused an order in `order_void`: the order itself (voided by whoever reconciled its node
 * after that node stopped renewing its lease), its lease's fence, or its generation's (a rebuild
 * fenced the ordering state its stock was taken from: Redis had lost the state).
 */
export type VoidedBy = 'order' | 'lease' | 'generation';

export class OrderVoidedError extends Error {
  constructor(
    readonly orderId: string,
    readonly by: VoidedBy,
  ) {
    super(`Order ${orderId} was voided before it could commit (its ${by} is fenced)`);
  }
}

/** MySQL access for orders, in plain SQL that runs on MariaDB and MySQL 8 alike. */
@Injectable()
export class OrderRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * One INSERT ... SELECT for the whole group: a single statement, so its rows commit together.
   * Rows whose id, or the fence of whose generation or lease, is in `order_void` are skipped:
   * under InnoDB's default isolation the statement share-locks what it reads of `order_void`, so
   * it and a reconciler voiding an order (see {@link voidUnlessCommitted}) or fencing its lease, or
   * a rebuild fencing its generation, are serialised and exactly one of them wins.
   */
  async insertMany(orders: readonly NewOrder[]): Promise<WriteOutcome> {
    const rows = orders
      .map((_, i) =>
        i === 0
          ? 'SELECT ? AS id, ? AS user_id, ? AS items, ? AS total, ? AS lease_id, ? AS fence, ? AS lease_fence'
          : 'SELECT ?, ?, ?, ?, ?, ?, ?',
      )
      .join(' UNION ALL ');
    const params = orders.flatMap((o) => [
      o.id,
      o.userId,
      JSON.stringify(o.items),
      o.total,
      o.leaseId,
      generationFence(o.generation),
      leaseFence(o.leaseId),
    ]);
    const result: { affectedRows: number } = await this.db.query(
      `INSERT INTO \`order\` (id, user_id, items, total, lease_id) SELECT v.id, v.user_id, v.items, v.total, v.lease_id FROM (${rows}) v
       WHERE NOT EXISTS (SELECT 1 FROM order_void w WHERE w.id IN (v.id, v.fence, v.lease_fence))`,
      params,
    );
    if (result.affectedRows === orders.length) return;
    const fences = orders.map((o) => [o.id, generationFence(o.generation), leaseFence(o.leaseId)]);
    const voided: { id: string }[] = await this.db.query(
      'SELECT id FROM order_void WHERE id IN (?)',
      [[...new Set(fences.flat())]],
    );
    const ids = new Set(voided.map((v) => v.id));
    const by: VoidedBy[] = ['order', 'generation', 'lease'];
    return orders.map((o, i) => {
      const hit = fences[i].findIndex((id) => ids.has(id));
      return hit < 0 ? undefined : new OrderVoidedError(o.id, by[hit]);
    });
  }

  /**
   * For a reconciler: true if the order committed; otherwise voids it so that it never can. The
   * void row is written first, then the order looked up with a locking read, in one transaction.
   */
  async voidUnlessCommitted(orderId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query('INSERT IGNORE INTO order_void (id) VALUES (?)', [orderId]);
      const rows: unknown[] = await tx.query(
        'SELECT 1 FROM `order` WHERE id = ? LOCK IN SHARE MODE',
        [orderId],
      );
      return rows.length > 0;
    });
  }

  /**
   * For an order answered SERVICE_UNAVAILABLE while its commit outcome was unknown: makes that
   * answer true. Voids it as above and deletes it if it had committed, in one transaction; true if
   * it had. Safe to repeat.
   */
  async takeBack(orderId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query('INSERT IGNORE INTO order_void (id) VALUES (?)', [orderId]);
      const deleted: { affectedRows: number } = await tx.query('DELETE FROM `order` WHERE id = ?', [
        orderId,
      ]);
      return deleted.affectedRows === 1;
    });
  }

  /** For the reclaimer of an expired lease: no order of it commits after this. */
  async fenceLease(leaseId: string): Promise<void> {
    await this.db.query('INSERT IGNORE INTO order_void (id) VALUES (?)', [leaseFence(leaseId)]);
  }

  /**
   * The committed orders of a lease and the units per food they hold: final once it is fenced.
   */
  async soldOnLease(
    leaseId: string,
  ): Promise<{ units: Map<number, number>; orders: { id: string; userId: number }[] }> {
    const rows: { id: string; user_id: number; items: string }[] = await this.db.query(
      'SELECT id, user_id, items FROM `order` WHERE lease_id = ?',
      [leaseId],
    );
    const units = new Map<number, number>();
    for (const row of rows)
      for (const item of parseItems(row.items))
        units.set(item.food_id, (units.get(item.food_id) ?? 0) + item.count);
    return { units, orders: rows.map((r) => ({ id: r.id, userId: Number(r.user_id) })) };
  }

  async findByUser(userId: number): Promise<OrderRow[]> {
    return this.map(
      await this.db.query('SELECT id, user_id, items, total FROM `order` WHERE user_id = ?', [
        userId,
      ]),
    );
  }

  async findAll(): Promise<OrderRow[]> {
    return this.map(
      await this.db.query('SELECT id, user_id, items, total FROM `order` ORDER BY created_at, id'),
    );
  }

  private map(rows: { id: string; user_id: number; items: string; total: number }[]): OrderRow[] {
    return rows.map((r) => ({
      id: r.id,
      userId: Number(r.user_id),
      items: parseItems(r.items),
      total: Number(r.total),
    }));
  }
}
