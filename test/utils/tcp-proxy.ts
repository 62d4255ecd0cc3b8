import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 to put between an app process and Redis or MySQL, so a suite can break
 * the network under a running app:
 * - `cut()`: every open connection is destroyed (the peers see a reset) and new ones are refused
 *   (the port stops listening: ECONNREFUSED), as when the server or its host goes away;
 * - `pause()`: connections stay open but no byte moves in either direction until `resume()`, so
 *   whatever the app sent is held "in flight";
 * - `pauseReplies()`: the app's bytes still reach the server, but the server's answers are held
 *   until `resume()`: a statement runs (and commits) while its reply is "lost";
 * - `pauseRepliesAfter(text)`: the same, from the moment the app sends bytes containing `text`
 *   (e.g. the `COMMIT` of a transaction whose earlier statements must be answered);
 * - `pauseOpen()`: the connections open now stop moving bytes, new ones work: to a client that
 *   keeps its connection, the server vanished without a reset (its host died, a partition);
 * - `restore()` / `resume()` undo them; `close()` ends the proxy for good.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  /** The proxy's connections to the target: reading from them is reading the server's replies. */
  private readonly upstreams = new Set<Socket>();
  private server: Server | undefined;
  private paused = false;
  /** Sockets held by {@link pauseOpen}. */
  private readonly held = new Set<Socket>();
  private repliesPaused = false;
  /** See {@link pauseRepliesAfter}. */
  private pauseRepliesOn: Buffer | undefined;
  /** Connections accepted so far (a way to see that the app really goes through the proxy). */
  accepted = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
    private listenPort: number,
  ) {}

  /** Starts a proxy to `targetHost:targetPort` on a free port of 127.0.0.1. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost, 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Destroys every connection and refuses new ones until {@link restore}. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await this.listen();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline)
          throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops moving bytes on every connection, present and future, until {@link resume}. */
  pause(): void {
    this.paused = true;
    for (const socket of this.sockets) socket.pause();
  }

  /** Stops moving bytes on the connections open now (not on later ones) until {@link resume}. */
  pauseOpen(): void {
    for (const socket of this.sockets) {
      this.held.add(socket);
      socket.pause();
    }
  }

  /** Holds what the server sends, on every connection, present and future, until {@link resume}. */
  pauseReplies(): void {
    this.repliesPaused = true;
    for (const socket of this.upstreams) socket.pause();
  }

  /**
   * {@link pauseReplies} as soon as the app sends `text` (once), right after it is passed on. Unlike
   * pausing at once, this never holds the answer of a command the app sent before (a background
   * poll, say): a client that pipelines, as ioredis does, would hold its next commands behind it,
   * and the command under test might then never be sent.
   */
  pauseRepliesAfter(text: string): void {
    this.pauseRepliesOn = Buffer.from(text);
  }

  resume(): void {
    this.pauseRepliesOn = undefined;
    this.paused = false;
    this.repliesPaused = false;
    this.held.clear();
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => this.accept(client));
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        this.listenPort = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.accepted++;
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      if (this.paused || (socket === upstream && this.repliesPaused)) socket.pause();
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.held.delete(socket);
      });
    }
    // pipe() would resume a paused socket on its own; forward by hand so pause() holds.
    // The app's last bytes, so that a marker split across two chunks is still seen.
    let tail = Buffer.alloc(0);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) from.pause();
        const marker = this.pauseRepliesOn;
        if (from !== client || !marker) return;
        const seen = Buffer.concat([tail, chunk]);
        tail = seen.subarray(Math.max(0, seen.length - marker.length + 1));
        if (seen.includes(marker)) {
          this.pauseRepliesOn = undefined;
          this.pauseReplies();
        }
      });
      to.on('drain', () => {
        if (!this.paused && !this.held.has(from) && !(from === upstream && this.repliesPaused))
          from.resume();
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}
