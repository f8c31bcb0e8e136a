import type net from 'node:net';

/**
 * Bounds the connections one client address holds open, so a client (or an attacker on the
 * network) cannot exhaust the manager by opening many. Connections over a unix socket have no
 * address and are not counted: the socket's file mode decides who may connect.
 */
export class ConnectionCap {
  private readonly open = new Map<string, number>();
  /**
   * Addresses refused since they were last below the cap:
   * the refusal is logged once, not per connection.
   */
  private readonly refused = new Set<string>();

  constructor(private readonly max: number) {}

  /**
   * Counts the connection until it closes; false (and the connection refused) when its address
   * is at the cap.
   */
  admit(socket: net.Socket, answer: (message: string, first: boolean) => void): boolean {
    const address = socket.remoteAddress;
    if (address === undefined) return true;
    const count = this.open.get(address) ?? 0;
    if (count >= this.max) {
      const first = !this.refused.has(address);
      this.refused.add(address);
      answer(
        `too many connections from ${address}: at most ${this.max} at once (clients.maxConnectionsPerAddress)`,
        first,
      );
      return false;
    }
    this.open.set(address, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      this.refused.delete(address);
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    });
    return true;
  }
}
