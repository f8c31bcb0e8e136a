/**
 * What the manager tells whoever measures it (the operator listener's metrics): each layer reports
 * here and knows nothing of Prometheus. Every method must be cheap and must not throw: it runs on
 * the hot path.
 */
export interface Telemetry {
  /** One answered API request: its route ID (`container.inspect`), status and time. */
  httpRequest(route: string, status: number, seconds: number): void;
  /**
   * One exchange with an engine,
   * answered (`ok`, `client_error`, `server_error`) or not (`failed`).
   */
  engineExchange(node: string, outcome: EngineOutcome, seconds: number): void;
  /** A node's event stream opened again after it broke. */
  eventStreamReconnect(node: string): void;
  /**
   * One placement decided: a node chosen, or none (`no_node`, with each node's rejection),
   * or refused (`not_primary`).
   */
  placement(
    kind: string,
    outcome: 'chosen' | 'no_node' | 'not_primary',
    rejections: readonly { node: string; by: string; reason: string }[],
    message?: string,
  ): void;
  /** A container moved off a failed or drained node, or not. */
  reschedule(outcome: 'moved' | 'failed'): void;
}

export type EngineOutcome = 'ok' | 'client_error' | 'server_error' | 'failed';

export const noTelemetry: Telemetry = {
  httpRequest() {},
  engineExchange() {},
  eventStreamReconnect() {},
  placement() {},
  reschedule() {},
};
