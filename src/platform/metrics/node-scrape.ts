import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, Registry } from 'prom-client';

const SCRAPE = 'metrics:scrape';
const SCRAPED = 'metrics:scraped';
/** Longer than prom-client's own 5 s wait for the workers' answers, so its error arrives first. */
const TIMEOUT_MS = 6000;

interface Scraped {
  type: typeof SCRAPED;
  id: string;
  text?: string;
  error?: string;
}

/**
 * In the primary: answers a worker's scrape with every worker's metrics, combined (counters and
 * histograms summed, gauges by their own aggregator). The primary serves no HTTP; a scrape reaches
 * whichever worker the kernel picks, and that worker asks here.
 */
export function aggregateWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string }) => {
    if (message?.type !== SCRAPE) return;
    const reply = (body: Partial<Scraped>): void => {
      if (worker.isConnected()) worker.send({ type: SCRAPED, id: message.id, ...body });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: Error) => reply({ error: error.message }),
    );
  });
}

/**
 * The node's metrics as Prometheus text: this process's own when it was not forked, else every
 * worker's combined by the primary (see aggregateWorkerMetrics).
 */
export class NodeScrape {
  private readonly waiting = new Map<string, (reply: Scraped) => void>();

  constructor(private readonly registry: Registry) {
    if (!cluster.isWorker) return;
    // Makes prom-client answer the primary's requests with this registry's metrics.
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry();
    process.on('message', (message: Scraped) => {
      if (message?.type === SCRAPED) this.waiting.get(message.id)?.(message);
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    if (!cluster.isWorker || !process.send) return this.registry.metrics();
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => settle({ type: SCRAPED, id, error: 'no answer' }), TIMEOUT_MS);
      const settle = (reply: Scraped): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (reply.text !== undefined) resolve(reply.text);
        else reject(new Error(`Metrics of the node's workers: ${reply.error}`));
      };
      this.waiting.set(id, settle);
      process.send!({ type: SCRAPE, id });
    });
  }
}
