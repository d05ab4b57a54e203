import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientInfo } from '../common/decorators';

/** What the audit interceptor knows about the request an audit row is written in. */
export interface AuditScope {
  client: ClientInfo;
  /** The authenticated caller, when there is one. */
  actorId?: string;
  /** Set by every audit write in the request: failure rows are only for unrecorded failures. */
  recorded: boolean;
}

export const auditScope = new AsyncLocalStorage<AuditScope>();
