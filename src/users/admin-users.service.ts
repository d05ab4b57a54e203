import { Injectable } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import type { ClientInfo, Principal } from '../common/decorators';
import { LockoutService } from '../credentials/lockout.service';
import { SessionsService } from '../sessions/sessions.service';
import { ListUsersQueryDto, UpdateUserDto } from './dto/admin-users.dto';
import { UserEntity } from './user.entity';
import { toPublicUser } from './user.serializer';
import { UsersRepository } from './users.repository';

/** What admins and moderators do to other users' accounts. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    private readonly audit: AuditService,
  ) {}

  async list(query: ListUsersQueryDto) {
    const [users, total] = await this.users.list(query);
    return { data: users.map(toPublicUser), page: query.page, limit: query.limit, total };
  }

  async get(id: string) {
    const user = await this.users.findById(id);
    if (!user) throw AppError.notFound('User not found');
    return user;
  }

  /**
   * Changes role and/or active state in one transaction with its audit rows. Deactivation
   * revokes every session of the user; the last active admin can be neither demoted nor
   * deactivated (checked under row locks, so concurrent requests cannot both pass).
   */
  @Transactional()
  async update(actor: Principal, id: string, dto: UpdateUserDto, client: ClientInfo) {
    const { target, activeAdmins } = await this.users.lockForAdminChange(id);
    if (!target) throw AppError.notFound('User not found');
    const wasActive = target.isActive === true;
    const role = dto.role ?? target.role;
    const active = dto.is_active ?? wasActive;
    const removesAdmin = target.role === 'admin' && wasActive && (role !== 'admin' || !active);
    if (removesAdmin && activeAdmins <= 1) {
      throw AppError.conflict('Cannot demote or deactivate the last active admin');
    }
    const changes: Partial<UserEntity> = {};
    if (role !== target.role) changes.role = role;
    if (active !== wasActive) changes.isActive = active;
    if (Object.keys(changes).length === 0) return target;

    const updated = await this.users.update(id, changes);
    const event = { userId: id, resource: 'user', client };
    if (changes.role) {
      await this.audit.record({
        ...event,
        action: 'ROLE_CHANGED',
        details: { actor_id: actor.userId, from: target.role, to: role },
      });
    }
    if (changes.isActive === false) {
      await this.sessions.revoke({
        userId: id,
        scope: 'all',
        reason: 'USER_DEACTIVATED',
        resource: 'user',
        details: { actor_id: actor.userId },
        client,
      });
    } else if (changes.isActive === true) {
      await this.audit.record({
        ...event,
        action: 'USER_ACTIVATED',
        details: { actor_id: actor.userId },
      });
    }
    return updated;
  }

  async unlock(actor: Principal, id: string, client: ClientInfo) {
    const user = await this.get(id);
    await this.lockout.clear(user.email);
    await this.audit.record({
      userId: id,
      action: 'ACCOUNT_UNLOCKED',
      resource: 'user',
      details: { actor_id: actor.userId },
      client,
    });
  }
}
