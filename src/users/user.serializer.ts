import type { UserProfile } from './user.entity';

export interface PublicUser {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone_number: string | null;
  role: string;
  email_verified: boolean;
  phone_verified: boolean;
  two_factor_enabled: boolean;
  preferences: Record<string, unknown>;
  is_active: boolean;
  login_count: number;
  last_login: string | null;
  created_at: string;
  updated_at: string;
}

/** The contract's User object: every key present, never the password hash. */
export function toPublicUser(user: UserProfile): PublicUser {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName ?? null,
    last_name: user.lastName ?? null,
    phone_number: user.phoneNumber ?? null,
    role: user.role ?? 'user',
    email_verified: user.emailVerified ?? false,
    phone_verified: user.phoneVerified ?? false,
    two_factor_enabled: user.twoFactorEnabled ?? false,
    preferences: user.preferences ?? {},
    is_active: user.isActive ?? true,
    login_count: user.loginCount ?? 0,
    last_login: user.lastLogin ? new Date(user.lastLogin).toISOString() : null,
    created_at: new Date(user.createdAt).toISOString(),
    updated_at: new Date(user.updatedAt).toISOString(),
  };
}
