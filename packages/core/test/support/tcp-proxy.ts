// A loopback TCP proxy for fault tests that need a connection to go quiet without closing:
// - freeze(): every connection, open or new, stops forwarding; bytes are held and delivered by thaw()
//   (a peer that is SIGSTOPped, or a network that stalls and comes back);
// - halfOpen(): the connections open now go silent for good (bytes swallowed, no FIN, no RST, no
//   error on either side) while new connections are forwarded normally: a NAT or load balancer that
//   silently forgot them.
// Used by the service's SSE follower and hung-database tests (packages/server/test).
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Swallows every byte from now on: the connection is half-open. */
  dead: boolean;
  /** Bytes held while frozen, per direction. */
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
}

export class FreezableTcpProxy {
  readonly #links = new Set<Link>();
  #frozen = false;

  private constructor(
    readonly port: number,
    readonly targetPort: number,
    readonly server: Server,
  ) {}

  /** Listens on a spare loopback port and forwards to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<FreezableTcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new FreezableTcpProxy((server.address() as AddressInfo).port, targetPort, server);
    server.on('connection', (client) => proxy.#accept(client));
    return proxy;
  }

  /** Connections open through the proxy (dead ones included). */
  get connections(): number {
    return this.#links.size;
  }

  /** Holds every byte in both directions, on open and new connections, until {@link thaw}. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Delivers what was held and forwards again. */
  thaw(): void {
    this.#frozen = false;
    for (const link of this.#links) {
      if (link.dead) continue;
      for (const chunk of link.toUpstream.splice(0)) link.upstream.write(chunk);
      for (const chunk of link.toClient.splice(0)) link.client.write(chunk);
    }
  }

  /** The connections open now go silent for good, neither side told; new ones are forwarded. */
  halfOpen(): void {
    for (const link of this.#links) {
      link.dead = true;
      link.toUpstream.length = 0;
      link.toClient.length = 0;
    }
  }

  async close(): Promise<void> {
    for (const link of this.#links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = createConnection({ port: this.targetPort, host: '127.0.0.1' });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const link: Link = { client, upstream, dead: false, toUpstream: [], toClient: [] };
    this.#links.add(link);
    const forward = (to: Socket, held: Buffer[]) => (chunk: Buffer) => {
      if (link.dead) return;
      if (this.#frozen) held.push(chunk);
      else to.write(chunk);
    };
    client.on('data', forward(upstream, link.toUpstream));
    upstream.on('data', forward(client, link.toClient));
    // A close travels to the other side, except on a half-open connection: nobody learns of it there.
    const close = () => {
      if (link.dead) return;
      this.#links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }
}
