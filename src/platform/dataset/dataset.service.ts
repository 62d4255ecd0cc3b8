import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';

export interface DatasetInfo {
  version: string;
  users: number;
  foods: number;
}

/** A provider that builds in-memory or Redis state from the dataset, e.g. the user directory. */
export interface LoadsDataset {
  loadDataset(dataset: DatasetInfo): Promise<void>;
}

/**
 * Marks a {@link LoadsDataset} provider, by name (for the logs): found at bootstrap, before the
 * first load, and run in module order on every dataset version.
 */
export const DatasetLoader = DiscoveryService.createDecorator<string>();

/**
 * Watches the `dataset` row that `npm run data -- generate` rewrites, and has every
 * {@link DatasetLoader} rebuild its state when the version changes, so running nodes pick up a new dataset
 * without a restart. The node is ready once every loader has finished for the current version.
 */
@Injectable()
export class DatasetService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DatasetService.name);
  private readonly loaders: { name: string; loader: LoadsDataset }[] = [];
  private loaded: DatasetInfo | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
  ) {}

  /** The dataset every loader has finished loading, or undefined while none is. */
  get current(): DatasetInfo | undefined {
    return this.loaded;
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const wrapper of this.discovery.getProviders({ metadataKey: DatasetLoader.KEY })) {
      const name = this.discovery.getMetadataByDecorator(DatasetLoader, wrapper) ?? wrapper.name;
      if (wrapper.instance) this.loaders.push({ name, loader: wrapper.instance as LoadsDataset });
    }
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.config.DATASET_POLL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Checks the version now and reloads if it changed; concurrent calls share one check. */
  poll(): Promise<void> {
    this.polling ??= this.check().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async check(): Promise<void> {
    let latest: DatasetInfo | undefined;
    try {
      const rows: { version: string; users: number; foods: number }[] = await this.db.query(
        'SELECT version, users, foods FROM dataset WHERE id = 1',
      );
      latest = rows[0] && {
        version: rows[0].version,
        users: Number(rows[0].users),
        foods: Number(rows[0].foods),
      };
    } catch (err) {
      this.logger.warn(`Cannot read the dataset version: ${(err as Error).message}`);
      return;
    }
    if (!latest) {
      if (!this.loaded)
        this.logger.warn(
          'No dataset loaded yet: run `npm run data -- generate` (npm start does it)',
        );
      return;
    }
    if (latest.version === this.loaded?.version) return;
    const started = Date.now();
    let step = '';
    try {
      for (const { name, loader } of this.loaders) {
        step = name;
        await loader.loadDataset(latest);
      }
      this.loaded = latest;
      this.logger.log(
        `Dataset ${latest.version} loaded (${latest.users} users, ${latest.foods} foods) in ${Date.now() - started} ms`,
      );
    } catch (err) {
      // Keep serving the previous dataset (if any) and try again on the next poll.
      this.logger.error(
        `Loading dataset ${latest.version} failed (${step}): ${(err as Error).message}`,
      );
    }
  }
}
