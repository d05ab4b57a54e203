import type { EntityManager } from 'typeorm';
import type { SecretBox } from '../crypto/secret-box';

export const totpSecretContext = (userId: string) => `totp-secret:${userId}`;

/**
 * Finishes a key rotation: every TOTP secret not sealed with the current key is opened
 * (with a previous key) and sealed again. A row changed meanwhile is left alone (its new
 * value already uses the current key). Returns how many rows it re-encrypted.
 */
export async function resealTotpSecrets(manager: EntityManager, box: SecretBox): Promise<number> {
  const rows = await manager.query<Array<{ user_id: string; secret_encrypted: string }>>(
    `SELECT user_id, secret_encrypted FROM mfa_totp_credentials`,
  );
  let changed = 0;
  for (const row of rows) {
    if (box.isCurrent(row.secret_encrypted)) continue;
    const context = totpSecretContext(row.user_id);
    const resealed = box.seal(box.open(row.secret_encrypted, context), context);
    const [, affected] = await manager.query<[unknown[], number]>(
      `UPDATE mfa_totp_credentials SET secret_encrypted = $3
        WHERE user_id = $1 AND secret_encrypted = $2`,
      [row.user_id, row.secret_encrypted, resealed],
    );
    changed += affected;
  }
  return changed;
}
