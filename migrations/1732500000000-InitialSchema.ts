import { MigrationInterface, QueryRunner } from 'typeorm';

/** The design guide's three tables, exactly as its SQL has them. */
export class InitialSchema1732500000000 implements MigrationInterface {
  name = 'InitialSchema1732500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        email VARCHAR(255) UNIQUE NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        first_name VARCHAR(50),
        last_name VARCHAR(50),
        phone_number VARCHAR(20),
        role VARCHAR(20) DEFAULT 'user' CHECK (role IN ('admin', 'user', 'moderator')),
        email_verified BOOLEAN DEFAULT FALSE,
        phone_verified BOOLEAN DEFAULT FALSE,
        two_factor_enabled BOOLEAN DEFAULT FALSE,
        preferences JSONB DEFAULT '{}',
        created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
        updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
        last_login TIMESTAMP WITH TIME ZONE,
        login_count INTEGER DEFAULT 0,
        is_active BOOLEAN DEFAULT TRUE
      )`);
    await db.query(`CREATE INDEX idx_users_email ON users(email)`);
    await db.query(`CREATE INDEX idx_users_role ON users(role)`);
    await db.query(`CREATE INDEX idx_users_created_at ON users(created_at)`);

    await db.query(`
      CREATE TABLE user_sessions (
        id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        jti VARCHAR(255) UNIQUE NOT NULL,
        token_type VARCHAR(20) NOT NULL CHECK (token_type IN ('access', 'refresh')),
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
        last_used TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
        ip_address INET,
        user_agent TEXT,
        is_active BOOLEAN DEFAULT TRUE
      )`);
    await db.query(`CREATE INDEX idx_sessions_user_id ON user_sessions(user_id)`);
    await db.query(`CREATE INDEX idx_sessions_jti ON user_sessions(jti)`);
    await db.query(`CREATE INDEX idx_sessions_expires_at ON user_sessions(expires_at)`);

    await db.query(`
      CREATE TABLE audit_logs (
        id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id UUID REFERENCES users(id),
        action VARCHAR(50) NOT NULL,
        resource VARCHAR(100),
        details JSONB,
        ip_address INET,
        user_agent TEXT,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
      )`);
    await db.query(`CREATE INDEX idx_audit_logs_user_id ON audit_logs(user_id)`);
    await db.query(`CREATE INDEX idx_audit_logs_action ON audit_logs(action)`);
    await db.query(`CREATE INDEX idx_audit_logs_created_at ON audit_logs(created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_logs`);
    await db.query(`DROP TABLE user_sessions`);
    await db.query(`DROP TABLE users`);
  }
}
