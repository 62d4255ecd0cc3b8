import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Histogram } from 'prom-client';
import { DataSource, type AfterQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import { Metrics } from '../metrics/metrics.service';

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'transaction']);

/** `mysql_query_duration_seconds{statement}`: every MySQL query of this process, by its first word. */
@Injectable()
export class QueryMetrics implements OnModuleInit {
  readonly histogram: Histogram<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: Metrics,
  ) {
    this.histogram = metrics.histogram(
      'mysql_query_duration_seconds',
      'MySQL queries of this node, by statement (transaction: a group commit sent in one trip)',
      ['statement'],
    );
  }

  /** Times a query that TypeORM does not run (the one-trip group commits). */
  observe(statement: string, ms: number): void {
    this.histogram.observe({ statement }, ms / 1000);
  }

  onModuleInit(): void {
    // A subscriber object rather than a class in the options: TypeORM would instantiate a class
    // itself, outside Nest's injection.
    const subscriber: EntitySubscriberInterface = {
      afterQuery: (event: AfterQueryEvent) => {
        if (event.executionTime === undefined) return;
        const word = /^\s*(\w+)/.exec(event.query)?.[1]?.toLowerCase() ?? 'other';
        this.observe(STATEMENTS.has(word) ? word : 'other', event.executionTime);
      },
    };
    this.dataSource.subscribers.push(subscriber);
  }
}
