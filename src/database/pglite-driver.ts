import { EventEmitter } from 'node:events';
import { PGlite } from '@electric-sql/pglite';
import { IN_MEMORY_DATA_DIR } from '../config/app-config';

/**
 * A `pg`-shaped driver module for TypeORM over an in-process PGlite database.
 *
 * Written here rather than taken from `typeorm-pglite` because that adapter shares one
 * PGlite session between all query runners: two interleaved transactions then commit or
 * roll back each other's work. This pool hands out the single session exclusively, like a
 * `pg` pool of size 1, and reports `rowCount`/`command` so UPDATE/DELETE results carry the
 * affected-row count TypeORM expects.
 */
type Release = (err?: unknown) => void;
type ConnectCallback = (err: unknown, client: PGliteClient | null, release: Release) => void;

/** One PGlite and one lock per data folder, shared by every DataSource of the process. */
const instances = new Map<string, Promise<PGlite>>();
const locks = new Map<string, Mutex>();
const openPools = new Map<string, number>();

function openDatabase(dataDir: string): Promise<PGlite> {
  let db = instances.get(dataDir);
  if (!db) {
    db = PGlite.create(dataDir === IN_MEMORY_DATA_DIR ? undefined : dataDir);
    instances.set(dataDir, db);
  }
  return db;
}

class PGliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(sql: string, params?: unknown[]) {
    const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
    if (params && params.length > 0) {
      const result = await this.db.query(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command };
    }
    const results = await this.db.exec(sql);
    const last = results[results.length - 1] ?? { rows: [], affectedRows: 0 };
    return { rows: last.rows, rowCount: last.affectedRows ?? last.rows.length, command };
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

function lockFor(dataDir: string): Mutex {
  let lock = locks.get(dataDir);
  if (!lock) {
    lock = new Mutex();
    locks.set(dataDir, lock);
  }
  return lock;
}

export function createPgliteDriver(dataDir: string) {
  class PGlitePool extends EventEmitter {
    private readonly mutex = lockFor(dataDir);

    constructor() {
      super();
      openPools.set(dataDir, (openPools.get(dataDir) ?? 0) + 1);
    }

    connect(callback: ConnectCallback) {
      openDatabase(dataDir)
        .then(async (db) => [db, await this.mutex.acquire()] as const)
        .then(
          ([db, unlock]) => {
            let released = false;
            const release = () => {
              if (!released) unlock();
              released = true;
            };
            callback(null, new PGliteClient(db), release);
          },
          (err: unknown) => callback(err, null, () => undefined),
        );
    }

    /** Closes the database when the last DataSource using this folder ends. */
    end(callback?: (err?: unknown) => void) {
      const remaining = (openPools.get(dataDir) ?? 1) - 1;
      openPools.set(dataDir, remaining);
      if (remaining > 0) return callback?.();
      const db = instances.get(dataDir);
      instances.delete(dataDir);
      void (db ?? Promise.resolve(undefined))
        .then((instance) => instance?.close())
        .then(() => callback?.(), callback);
    }
  }
  return { Pool: PGlitePool };
}
