import { SetMetadata } from '@nestjs/common';
import type { AuditAction } from './audit-actions';

export const AUDITED_ROUTE = 'audit:route';

export interface AuditedRoute {
  /** The action of the row written when the route is refused before any explicit record. */
  action: AuditAction | ((body: unknown) => AuditAction);
  resource: 'auth' | 'user' | 'session';
  /** The row is about the user named by the route's `:id`, not about the caller. */
  aboutTargetUser?: boolean;
}

/**
 * Declares a state-changing route's audit action. The service records successes (and
 * failures it understands) itself; the AuditInterceptor records the refusals nobody did.
 */
export const Audit = (
  action: AuditedRoute['action'],
  resource: AuditedRoute['resource'],
  options: Pick<AuditedRoute, 'aboutTargetUser'> = {},
) => SetMetadata(AUDITED_ROUTE, { action, resource, ...options } satisfies AuditedRoute);
