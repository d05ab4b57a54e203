import * as bcrypt from 'bcrypt';
import { isEmail } from 'class-validator';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { accountEmailProblem, normalizeEmail } from '../common/email-address';
import { passwordPolicyErrors } from '../auth/password-policy';

export interface EnsureAdminResult {
  id: string;
  created: boolean;
  promoted: boolean;
}

/** The email or password given for the first admin is unusable; `field` names which. */
export class AdminInputError extends Error {
  constructor(
    readonly field: 'email' | 'password',
    readonly problems: string[],
  ) {
    super(problems.join('; '));
  }
}

/**
 * Makes sure `email` belongs to an active admin: creates it with `password` if new, otherwise
 * promotes and reactivates it, leaving its password alone. One upsert decides, so replicas
 * starting together (or a CLI run racing a start-up) end with exactly one such user.
 * Shared by the start-up bootstrap (ADMIN_EMAIL/ADMIN_PASSWORD) and `cli create-admin`.
 */
export async function ensureAdmin(
  deps: { dataSource: DataSource; audit: AuditService; bcryptRounds: number },
  input: { email: string; password: string },
  via: 'bootstrap' | 'cli',
): Promise<EnsureAdminResult> {
  const email = normalizeEmail(input.email);
  if (!isEmail(email)) throw new AdminInputError('email', ['must be a valid email address']);
  const emailProblem = accountEmailProblem(email);
  if (emailProblem) throw new AdminInputError('email', [emailProblem]);
  const problems = passwordPolicyErrors(input.password);
  if (problems.length > 0) throw new AdminInputError('password', problems);
  const passwordHash = await bcrypt.hash(input.password, deps.bcryptRounds);

  return deps.dataSource.transaction(async (manager) => {
    const rows: Array<{
      id: string;
      created: boolean;
      previous_role: string | null;
      previous_active: boolean | null;
    }> = await manager.query(
      `WITH previous AS (SELECT role, is_active FROM users WHERE email = $1)
       INSERT INTO users (email, password_hash, role, is_active) VALUES ($1, $2, 'admin', true)
       ON CONFLICT (email) DO UPDATE SET role = 'admin', is_active = true, updated_at = now()
         WHERE users.role IS DISTINCT FROM 'admin' OR users.is_active IS NOT TRUE
       RETURNING id, (xmax = 0) AS created,
         (SELECT role FROM previous) AS previous_role,
         (SELECT is_active FROM previous) AS previous_active`,
      [email, passwordHash],
    );
    const row = rows[0];
    if (!row) {
      // Already an active admin: the conditional DO UPDATE changed nothing.
      const [existing] = await manager.query<Array<{ id: string }>>(
        `SELECT id FROM users WHERE email = $1`,
        [email],
      );
      return { id: existing.id, created: false, promoted: false };
    }
    const event = { userId: row.id, resource: 'user' };
    if (row.created) {
      await deps.audit.record(manager, {
        ...event,
        action: 'USER_REGISTERED',
        details: { via, role: 'admin' },
      });
      return { id: row.id, created: true, promoted: false };
    }
    if (row.previous_role !== 'admin') {
      await deps.audit.record(manager, {
        ...event,
        action: 'ROLE_CHANGED',
        details: { via, from: row.previous_role, to: 'admin' },
      });
    }
    if (row.previous_active !== true) {
      await deps.audit.record(manager, { ...event, action: 'USER_ACTIVATED', details: { via } });
    }
    return { id: row.id, created: false, promoted: true };
  });
}
