import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  RequestMethod,
  UseInterceptors,
} from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, Observable, throwError } from 'rxjs';
import { AppError } from '../common/app-error';
import { clientInfoOf, Principal } from '../common/decorators';
import { auditScope, AuditScope } from './audit-context';
import { AUDITED_ROUTE, AuditedRoute } from './audit.decorator';
import { AuditService } from './audit.service';

type AuditedRequest = FastifyRequest & { user?: Principal };

/** Refusals worth a row: credentials, permissions, ownership, conflicts. Not validation. */
const AUDITED_FAILURES = new Set([401, 403, 404, 409]);

/**
 * Gives every audit write of a request its client (ip, user agent, request id) and caller,
 * and records the refusals no explicit call saw: an audited route that failed without
 * writing any row gets one, with `details.outcome = "failure"`.
 * Guards run before interceptors, so 401/403/429 from guards are not seen here.
 * Bound to the routes that can write rows only (@AuditedRoutes()).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED_ROUTE, context.getHandler());
    const scope: AuditScope = {
      client: clientInfoOf(request),
      actorId: request.user?.userId,
      recorded: false,
    };
    // next.handle() binds the handler to the async context it is called in.
    return new Observable((subscriber) =>
      auditScope.run(scope, () =>
        next
          .handle()
          .pipe(
            catchError((err: unknown) => {
              if (route) this.recordFailure(route, request, scope, err);
              return throwError(() => err);
            }),
          )
          .subscribe(subscriber),
      ),
    );
  }

  private recordFailure(
    route: AuditedRoute,
    request: AuditedRequest,
    scope: AuditScope,
    err: unknown,
  ) {
    const status = statusOf(err);
    if (scope.recorded || !status || !AUDITED_FAILURES.has(status)) return;
    const targetId = (request.params as { id?: string } | undefined)?.id;
    const aboutTarget = route.aboutTargetUser && status !== 404 && targetId;
    const userId = aboutTarget ? targetId : (scope.actorId ?? null);
    this.audit.recordDetached({
      userId,
      action: typeof route.action === 'function' ? route.action(request.body) : route.action,
      resource: route.resource,
      details: {
        outcome: 'failure',
        status,
        error: err instanceof AppError ? err.code : undefined,
        ...(targetId ? { target_id: targetId } : {}),
        ...(scope.actorId && scope.actorId !== userId ? { actor_id: scope.actorId } : {}),
      },
      client: scope.client,
    });
  }
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof AppError) return err.status;
  const status = (err as { getStatus?: () => number })?.getStatus?.();
  return typeof status === 'number' ? status : undefined;
}

/**
 * On a controller with state-changing routes (read-only ones, such as health and metrics, may
 * not depend on the audit module): binds the AuditInterceptor to its routes that can write
 * audit rows, every state-changing one (not GET or HEAD) and every one with @Audit. Not global:
 * any interceptor on a route makes Nest run an rxjs chain around each of its requests (~30 µs
 * of CPU, ~18 % of `GET /api/users/me`: README "Benchmarks"), and read routes write no rows.
 * test/e2e/request-pipeline.e2e.spec.ts checks every route of the app against this rule.
 */
export const AuditedRoutes = (): ClassDecorator => (controller) => {
  const prototype = controller.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const handler = prototype[name];
    if (typeof handler !== 'function' || !writesAuditRows(handler)) continue;
    UseInterceptors(AuditInterceptor)(
      prototype,
      name,
      Object.getOwnPropertyDescriptor(prototype, name)!,
    );
  }
};

function writesAuditRows(handler: object): boolean {
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  if (method === undefined) return false; // not a route
  const read = method === RequestMethod.GET || method === RequestMethod.HEAD;
  return !read || Reflect.getMetadata(AUDITED_ROUTE, handler) !== undefined;
}
