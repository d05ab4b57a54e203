import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, Observable, throwError } from 'rxjs';
import { AppError } from '../common/app-error';
import { clientInfoOf, Principal } from '../common/decorators';
import type { AuditAction } from './audit-actions';
import { auditScope, AuditScope } from './audit-context';
import { AuditService } from './audit.service';

type AuditedRequest = FastifyRequest & { user?: Principal };

/** The audited action of each state-changing route (by method and route pattern). */
const ROUTE_ACTIONS: Record<string, (request: AuditedRequest) => AuditAction> = {
  'POST /api/auth/register': () => 'USER_REGISTERED',
  'POST /api/auth/login': () => 'LOGIN_FAILED',
  'POST /api/auth/refresh': () => 'TOKEN_REFRESHED',
  'POST /api/auth/logout': () => 'USER_LOGOUT',
  'POST /api/auth/logout-all': () => 'LOGOUT_ALL',
  'POST /api/auth/change-password': () => 'PASSWORD_CHANGED',
  'PATCH /api/users/me': () => 'USER_UPDATED',
  'DELETE /api/sessions/:id': () => 'SESSION_REVOKED',
  'PATCH /api/users/:id': ({ body }) => {
    const dto = (body ?? {}) as { role?: unknown; is_active?: unknown };
    if (dto.role !== undefined) return 'ROLE_CHANGED';
    return dto.is_active === false ? 'USER_DEACTIVATED' : 'USER_ACTIVATED';
  },
  'POST /api/users/:id/unlock': () => 'ACCOUNT_UNLOCKED',
  'POST /api/auth/mfa/totp/enable': () => 'MFA_ENABLED',
  'POST /api/auth/mfa/totp/disable': () => 'MFA_DISABLED',
  'POST /api/auth/mfa/recovery-codes': () => 'RECOVERY_CODES_REGENERATED',
  'DELETE /api/users/:id/mfa': () => 'MFA_RESET',
};

const RESOURCES: Record<string, string> = { auth: 'auth', users: 'user', sessions: 'session' };

/** Refusals worth a row: credentials, permissions, ownership, conflicts. Not validation. */
const AUDITED_FAILURES = new Set([401, 403, 404, 409]);

/**
 * Gives every audit write of a request its client (ip, user agent, request id) and caller,
 * and records the refusals no explicit call saw: an audited route that failed without
 * writing any row gets one, with `details.outcome = "failure"`.
 * Guards run before interceptors, so 401/403/429 from guards are not seen here.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
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
              this.recordFailure(request, scope, err);
              return throwError(() => err);
            }),
          )
          .subscribe(subscriber),
      ),
    );
  }

  private recordFailure(request: AuditedRequest, scope: AuditScope, err: unknown) {
    const status = statusOf(err);
    const actionOf = ROUTE_ACTIONS[`${request.method} ${request.routeOptions.url}`];
    if (scope.recorded || !actionOf || !status || !AUDITED_FAILURES.has(status)) return;
    const route = request.routeOptions.url ?? '';
    const targetId = (request.params as { id?: string } | undefined)?.id;
    const aboutTarget = route.startsWith('/api/users/:id') && status !== 404 && targetId;
    const userId = aboutTarget ? targetId : (scope.actorId ?? null);
    this.audit.recordDetached({
      userId,
      action: actionOf(request),
      resource: RESOURCES[route.split('/')[2]],
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
