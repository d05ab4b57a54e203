import {
  applyDecorators,
  Controller,
  Get,
  Inject,
  Optional,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type Redis from 'ioredis';
import { ApiOp } from '../common/api-operation';
import { Public } from '../common/decorators';
import { HealthCheckDto, HealthIndicatorDto } from './dto/health.dto';
import { REDIS } from '../store/store.module';

const CHECK_TIMEOUT_MS = 1500;

/** The two answers of a readiness probe (/health/ready and /health). */
const ReadinessResponses = () =>
  applyDecorators(
    ApiOkResponse({
      type: HealthCheckDto,
      description: 'The database and Redis (when configured) answer.',
    }),
    ApiServiceUnavailableResponse({
      type: HealthCheckDto,
      description: 'The database or Redis does not answer.',
    }),
  );
@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Optional() @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  @Get('live')
  @ApiOp({ id: 'live', summary: 'Liveness: the process is up' })
  @ApiOkResponse({
    type: HealthCheckDto,
    description: 'The process is up; no dependency is checked.',
  })
  live() {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @ApiOp({ id: 'ready', summary: 'Readiness: the database and Redis answer' })
  @ReadinessResponses()
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.check(reply);
  }

  @Get()
  @ApiOp({ id: 'health', summary: 'Readiness (same as /health/ready)' })
  @ReadinessResponses()
  overall(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.check(reply);
  }

  /** Terminus's own body on 503 too (not the API's error envelope): probes and dashboards read it. */
  private async check(reply: FastifyReply) {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
        ...(this.redis ? [() => this.pingRedis()] : []),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      reply.status(503);
      return err.getResponse();
    }
  }

  private async pingRedis() {
    const indicator = this.indicators.check('redis');
    try {
      await Promise.race([
        this.redis!.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS).unref(),
        ),
      ]);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }
}
