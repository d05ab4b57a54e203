import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { isEmail } from 'class-validator';
import { accountEmailProblem, normalizeEmail } from '../common/email-address';
import { AuditService } from '../audit/audit.service';
import { AppError } from '../common/app-error';
import type { ClientInfo } from '../common/decorators';
import { passwordPolicyErrors } from '../credentials/password-policy';
import { PasswordService } from '../credentials/password.service';
import { UpdateMeDto } from './dto/update-me.dto';
import { UserEntity } from './user.entity';
import { UserInputError } from './user-input.error';
import { isUniqueViolation, UsersRepository } from './users.repository';

export interface CreateUserInput {
  email: string;
  password: string;
  profile?: Pick<UserEntity, 'firstName' | 'lastName' | 'phoneNumber'>;
  client?: ClientInfo;
  /**
   * The first-admin paths (ADMIN_EMAIL at start-up, `cli create-admin`): the account becomes an
   * active admin, and an existing account with this email is promoted and reactivated (its
   * password untouched) instead of refused.
   */
  asAdminVia?: 'bootstrap' | 'cli';
}

export interface CreatedUser<T> {
  user: UserEntity;
  created: boolean;
  promoted: boolean;
  /** What `inSameTransaction` returned. */
  result: T;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
  ) {}

  findById(id: string) {
    return this.users.findById(id);
  }

  findByEmail(email: string) {
    return this.users.findByEmail(email);
  }

  /** The user behind an access token, only while the token's session is active. */
  findActiveBySession(userId: string, sessionId: string) {
    return this.users.findActiveBySession(userId, sessionId);
  }

  /**
   * The one way to create (or, for the first admin, promote) an account: checks the email and
   * the password policy, hashes outside the transaction, then writes the user, its audit rows
   * and whatever `inSameTransaction` adds (a session) as one unit.
   * Throws UserInputError for an unusable email or password, 409 for a taken email.
   */
  async create<T = undefined>(
    input: CreateUserInput,
    inSameTransaction?: (user: UserEntity) => Promise<T>,
  ): Promise<CreatedUser<T>> {
    const email = normalizeEmail(input.email);
    if (!isEmail(email)) throw new UserInputError('email', ['must be a valid email address']);
    const emailProblem = accountEmailProblem(email);
    if (emailProblem) throw new UserInputError('email', [emailProblem]);
    const problems = passwordPolicyErrors(input.password);
    if (problems.length > 0) throw new UserInputError('password', problems);
    const passwordHash = await this.passwords.hash(input.password);

    return this.txHost.withTransaction(async () => {
      const outcome = input.asAdminVia
        ? await this.upsertAdmin(email, passwordHash, input.asAdminVia)
        : await this.insertUser(email, passwordHash, input);
      const result = (await inSameTransaction?.(outcome.user)) as T;
      return { ...outcome, result };
    });
  }

  private async insertUser(email: string, passwordHash: string, input: CreateUserInput) {
    const user = await this.users.insert({ email, passwordHash, ...input.profile });
    await this.audit.record({
      userId: user.id,
      action: 'USER_REGISTERED',
      resource: 'user',
      client: input.client,
    });
    return { user, created: true, promoted: false };
  }

  private async upsertAdmin(email: string, passwordHash: string, via: 'bootstrap' | 'cli') {
    const row = await this.users.upsertActiveAdmin(email, passwordHash);
    const user = await this.users.findByEmail(email);
    if (!row) return { user: user!, created: false, promoted: false };
    const event = { userId: row.id, resource: 'user' };
    if (row.created) {
      await this.audit.record({
        ...event,
        action: 'USER_REGISTERED',
        details: { via, role: 'admin' },
      });
      return { user: user!, created: true, promoted: false };
    }
    if (row.previous_role !== 'admin') {
      await this.audit.record({
        ...event,
        action: 'ROLE_CHANGED',
        details: { via, from: row.previous_role, to: 'admin' },
      });
    }
    if (row.previous_active !== true) {
      await this.audit.record({ ...event, action: 'USER_ACTIVATED', details: { via } });
    }
    return { user: user!, created: false, promoted: true };
  }

  /** Joins the caller's transaction (a login's session and audit row). */
  @Transactional()
  recordLogin(id: string, newPasswordHash?: string) {
    return this.users.recordLogin(id, newPasswordHash);
  }

  @Transactional()
  async setPasswordHash(id: string, passwordHash: string) {
    await this.users.update(id, { passwordHash });
  }

  /** A mailed link proved the address (verification, or a password reset sent to it). */
  @Transactional()
  async markEmailVerified(id: string): Promise<UserEntity> {
    return this.users.update(id, { emailVerified: true });
  }

  /** An email change whose link was used: the new address is proven. 409 if taken meanwhile. */
  @Transactional()
  async switchEmail(id: string, email: string): Promise<UserEntity> {
    try {
      return await this.users.update(id, { email, emailVerified: true });
    } catch (err) {
      if (isUniqueViolation(err)) throw AppError.conflict('Email already registered');
      throw err;
    }
  }

  @Transactional()
  async updateMe(userId: string, dto: UpdateMeDto, client: ClientInfo): Promise<UserEntity> {
    const changes: Partial<UserEntity> = {};
    if (dto.first_name !== undefined) changes.firstName = dto.first_name;
    if (dto.last_name !== undefined) changes.lastName = dto.last_name;
    if (dto.phone_number !== undefined) changes.phoneNumber = dto.phone_number;
    if (dto.preferences !== undefined) changes.preferences = dto.preferences;
    const user = await this.users.update(userId, changes);
    await this.audit.record({
      userId,
      action: 'USER_UPDATED',
      resource: 'user',
      details: { fields: Object.keys(dto).sort() },
      client,
    });
    return user;
  }
}
