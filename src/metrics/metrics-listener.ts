import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { bearerMatches } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * With METRICS_PORT set, /metrics is served here and only here: a second listener that the
 * Service, ingress or proxy in front of PORT does not expose, for scrapers inside the
 * cluster. METRICS_TOKEN, when also set, is still required.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** The bound port (METRICS_PORT=0 picks a free one), or undefined when not listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap() {
    if (this.config.metricsPort === undefined) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.headersTimeout = this.config.http.headersTimeoutMs;
    server.requestTimeout = this.config.http.requestTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on http://${this.config.host}:${this.port}/metrics`);
  }

  async onApplicationShutdown() {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const json = 'application/json; charset=utf-8';
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      return send(404, json, JSON.stringify(AppError.notFound('Route not found').toBody()));
    }
    const token = this.config.metricsToken;
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return send(
        401,
        json,
        JSON.stringify(AppError.unauthorized('Valid metrics token required').toBody()),
      );
    }
    try {
      send(200, this.metrics.contentType, await this.metrics.render());
    } catch {
      send(
        500,
        json,
        JSON.stringify(new AppError(500, 'INTERNAL_ERROR', 'Internal server error').toBody()),
      );
    }
  }
}
