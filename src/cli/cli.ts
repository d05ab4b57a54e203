import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { loadDotEnv } from '../config/dotenv';
import { CryptoModule } from '../crypto/crypto.module';
import { SecretBox } from '../crypto/secret-box';
import { normalizeEmail } from '../common/email-address';
import { MfaModule } from '../mfa/mfa.module';
import { MfaService } from '../mfa/mfa.service';
import { UserInputError } from '../users/user-input.error';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';
import type { CliIo } from './cli-io';
import { CliModule } from './cli-module';
import { KEYS_USAGE, runKeysCommand } from './keys';

const USAGE = `usage: npm run cli -- create-admin --email <email>
  The password is read from the ADMIN_PASSWORD environment variable, or else from stdin
  (prompted without echo on a terminal). It is never accepted as an argument.
  Storage comes from the service's configuration: DATABASE_URL, or DATA_DIR (embedded).
       npm run cli -- secrets reseal
  Re-encrypts every secret at rest under SECRETS_ENCRYPTION_KEY (the last step of a key
  rotation; SECRETS_ENCRYPTION_KEYS_PREVIOUS must still hold the old key).
${KEYS_USAGE}`;

export type { CliIo } from './cli-io';

/** Runs one CLI command; resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'keys') {
    const config = cliConfig(io);
    return config ? runKeysCommand(rest, config, io) : 1;
  }
  if (command === 'secrets' && rest.length === 1 && rest[0] === 'reseal') return runReseal(io);
  if (command !== 'create-admin') {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const args = parseFlags(rest);
  if (!args || args.password !== undefined || !args.email) {
    io.stderr.write(
      args?.password !== undefined
        ? 'refusing --password: pass it on stdin or in ADMIN_PASSWORD, never as an argument\n'
        : `${USAGE}\n`,
    );
    return 2;
  }

  const config = cliConfig(io);
  if (!config) return 1;
  const password = io.env.ADMIN_PASSWORD || (await readPassword(io));
  if (!password) {
    io.stderr.write('no password given (stdin was empty and ADMIN_PASSWORD is unset)\n');
    return 2;
  }

  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, [UsersModule]), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    const result = await app
      .get(UsersService)
      .create({ email: args.email, password, asAdminVia: 'cli' });
    const outcome = result.created
      ? 'created'
      : result.promoted
        ? 'promoted to admin (password unchanged)'
        : 'already an active admin (password unchanged)';
    io.stdout.write(`${normalizeEmail(args.email)}: ${outcome} (id ${result.user.id})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof UserInputError)) throw err;
    io.stderr.write(`${err.field} rejected: ${err.message}\n`);
    return 1;
  } finally {
    await app.close();
  }
}

/** The service's configuration; ADMIN_* are create-admin's inputs, not the start-up admin. */
function cliConfig(io: CliIo): AppConfig | null {
  try {
    return loadConfig({ ...io.env, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return null;
  }
}

async function runReseal(io: CliIo): Promise<number> {
  const config = cliConfig(io);
  if (!config) return 1;
  const app = await NestFactory.createApplicationContext(
    CliModule.forRoot(config, [CryptoModule, MfaModule]),
    {
      logger: ['error', 'warn'],
      abortOnError: false,
    },
  );
  try {
    const box = app.get(SecretBox);
    const changed = await app.get(MfaService).resealSecrets();
    io.stdout.write(`re-encrypted ${changed} TOTP secret(s) under key ${box.currentKeyId}\n`);
    return 0;
  } finally {
    await app.close();
  }
}

function parseFlags(args: string[]): Record<string, string | undefined> | null {
  const flags: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const match = /^--(email|password)(?:=(.*))?$/.exec(args[i]);
    if (!match) return null;
    flags[match[1]] = match[2] ?? args[++i] ?? '';
  }
  return flags;
}

/** First line of stdin; on a terminal, prompted with echo off. */
function readPassword(io: CliIo): Promise<string> {
  const tty = io.stdin.isTTY === true;
  if (tty) io.stdout.write('Password: ');
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.stdin, output: tty ? muted : undefined, terminal: tty });
  return new Promise((resolve) => {
    let line = '';
    rl.once('line', (value) => {
      line = value;
      rl.close();
    });
    rl.once('close', () => {
      if (tty) io.stdout.write('\n');
      resolve(line.replace(/\r$/, ''));
    });
  });
}

if (require.main === module) {
  Logger.overrideLogger(['error', 'warn']);
  loadDotEnv();
  runCli(process.argv.slice(2), {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  })
    .then((code) => process.exit(code))
    .catch((err: Error) => {
      console.error(`cli failed: ${err.message}`);
      process.exit(1);
    });
}
