import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CartItem, parseItems } from '../stock/cart-items';

export interface OrderRow {
  id: string;
  userId: number;
  items: CartItem[];
  total: number;
}

/** MySQL access for orders, in plain SQL that runs on MariaDB and MySQL 8 alike. */
@Injectable()
export class OrderRepository {
  constructor(private readonly db: DataSource) {}

  /** One multi-row INSERT: a single statement, so all rows commit together or none do. */
  async insertMany(orders: readonly OrderRow[]): Promise<void> {
    const placeholders = orders.map(() => '(?, ?, ?, ?)').join(', ');
    const params = orders.flatMap((o) => [o.id, o.userId, JSON.stringify(o.items), o.total]);
    await this.db.query(`INSERT INTO \`order\` (id, user_id, items, total) VALUES ${placeholders}`, params);
  }

  async exists(orderId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM `order` WHERE id = ?', [orderId]);
    return rows.length > 0;
  }

  async findByUser(userId: number): Promise<OrderRow[]> {
    return this.map(await this.db.query('SELECT id, user_id, items, total FROM `order` WHERE user_id = ?', [userId]));
  }

  async findAll(): Promise<OrderRow[]> {
    return this.map(await this.db.query('SELECT id, user_id, items, total FROM `order` ORDER BY created_at, id'));
  }

  private map(rows: { id: string; user_id: number; items: string; total: number }[]): OrderRow[] {
    return rows.map((r) => ({ id: r.id, userId: Number(r.user_id), items: parseItems(r.items), total: Number(r.total) }));
  }
}

/** True for MySQL's duplicate-key error on the one-order-per-user unique key. */
export function isDuplicateUserOrder(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string } | null;
  const code = e?.code ?? e?.driverError?.code;
  return code === 'ER_DUP_ENTRY' && /uq_order_user/.test(e?.message ?? '');
}
