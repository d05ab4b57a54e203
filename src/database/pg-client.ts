import { Client, type ClientConfig } from 'pg';

const READ_TIMEOUT = 'Query read timeout';

interface Socketed {
  connection?: { stream?: { destroy(): void } };
}

/**
 * pg's Client, except that a statement which hits the client-side `query_timeout` ends the
 * connection on the spot. pg itself only stops waiting: the statement may still run, inside
 * a transaction, and the pool would hand that connection to the next request (whose queries
 * then joined the stranded transaction). Ending it makes the ROLLBACK that follows fail at
 * once (no second timeout), keeps the pool from reusing it, and lets PostgreSQL roll back.
 */
export class TimeoutSafeClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const result = query(...args);
      if (result instanceof Promise) {
        result.catch((err: unknown) => {
          if ((err as Error | undefined)?.message === READ_TIMEOUT) this.discard();
        });
      }
      return result;
    }) as Client['query'];
  }

  private discard() {
    this.end().catch(() => undefined);
    (this as unknown as Socketed).connection?.stream?.destroy();
  }
}
