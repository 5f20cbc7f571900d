import type Database from 'better-sqlite3';
import type { Effect } from './effects.js';

/**
 * The durable list of effects not yet done. Effects are staged before their events are appended and
 * removed once they ran (or finally failed); after a crash, the staged ones whose event exists in the
 * store are run again: at least once, never for an event that was not written.
 */
export interface EffectOutbox {
  stage(effects: readonly StagedEffect[]): void;
  remove(idempotencyKeys: readonly string[]): void;
  pending(): StagedEffect[];
}

/** An effect with the revision of the event whose transition requested it. */
export interface StagedEffect extends Effect {
  revision: number;
}

/** The outbox in the runtime database (see runtime-db.ts). */
export function sqliteEffectOutbox(db: Database.Database): EffectOutbox {
  const insert = db.prepare<[string, string]>(
    'INSERT OR REPLACE INTO outbox (idempotency_key, effect) VALUES (?, ?)',
  );
  const remove = db.prepare<[string]>('DELETE FROM outbox WHERE idempotency_key = ?');
  const all = db.prepare<[], { effect: string }>('SELECT effect FROM outbox ORDER BY rowid');
  return {
    stage: db.transaction((effects: readonly StagedEffect[]) => {
      for (const effect of effects) insert.run(effect.idempotencyKey, JSON.stringify(effect));
    }),
    remove: db.transaction((keys: readonly string[]) => {
      for (const key of keys) remove.run(key);
    }),
    pending: () => all.all().map((row) => JSON.parse(row.effect) as StagedEffect),
  };
}
