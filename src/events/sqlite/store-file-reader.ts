import Database from 'better-sqlite3';
import type { CanonicalPage, CanonicalReadOptions } from '../canonical-reads.js';
import { CanonicalQueries } from './canonical-query.js';

/**
 * A read-only connection to an embedded store's file (see store-file.ts), for a reader on another
 * thread than the store's: canonical pages of `$all` exactly as the store's own `readAllCanonical`
 * composes them (canonical-query.ts, the same queries on this connection), and a cheap way to tell
 * whether anything was committed since the last look. The file is in WAL mode, so reading it never
 * holds up the store's writes, and every read sees what was committed before it began.
 */
export class StoreFileReader {
  readonly #db: Database.Database;
  readonly #canonical: CanonicalQueries;
  readonly #dataVersion: Database.Statement<[], number>;
  #version: number | undefined;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#canonical = new CanonicalQueries(db);
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Opens the store file at `path`, which must exist (the store has created it). */
  static open(path: string, busyTimeoutMs = 5000): StoreFileReader {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
      const mode = db.pragma('journal_mode', { simple: true });
      if (mode !== 'wal')
        throw new Error(`store file ${path} is not in WAL mode (journal_mode ${String(mode)})`);
      // Fails here, not at the first page, on a file that is no event store.
      db.prepare('SELECT position FROM events LIMIT 0').all();
      return new StoreFileReader(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The page `readAllCanonical(options)` gives, read in one snapshot of the file. */
  canonicalPage(options: CanonicalReadOptions): CanonicalPage {
    return this.#canonical.run(options);
  }

  /**
   * Whether another connection (the store's) may have committed since the last call; true on the
   * first. `PRAGMA data_version` moves with every commit of another connection to the file.
   */
  changed(): boolean {
    const version = this.#dataVersion.get()!;
    const changed = version !== this.#version;
    this.#version = version;
    return changed;
  }

  close(): void {
    this.#db.close();
  }
}
