import type Database from 'better-sqlite3';
import type { Direction, EventFilter } from '../types.js';
import type { EventRow } from './rows.js';
import { EVENT_COLUMNS } from './statements.js';

type Parameter = string | number;

/**
 * `$all` reads: one prepared statement per filter shape (direction, number of prefixes and types),
 * cached, so a subscription's repeated page reads reuse it.
 */
export class ReadAllQueries {
  readonly #cache = new Map<string, Database.Statement<Parameter[], EventRow>>();

  constructor(private readonly db: Database.Database) {}

  run(direction: Direction, from: number, limit: number, filter: EventFilter | undefined): EventRow[] {
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.eventTypes ?? [];
    const statement = this.#statement(direction, prefixes.length, types.length);
    const parameters: Parameter[] = [from];
    // SQLite counts characters (code points) where JS counts UTF-16 units.
    for (const prefix of prefixes) parameters.push([...prefix].length, prefix);
    parameters.push(...types, limit);
    return statement.all(...parameters);
  }

  #statement(direction: Direction, prefixCount: number, typeCount: number) {
    const key = `${direction}:${prefixCount}:${typeCount}`;
    let statement = this.#cache.get(key);
    if (!statement) {
      const conditions = [direction === 'forwards' ? 'position >= ?' : 'position <= ?'];
      if (prefixCount > 0) {
        conditions.push(
          `(${Array.from({ length: prefixCount }, () => 'substr(stream, 1, ?) = ?').join(' OR ')})`,
        );
      }
      if (typeCount > 0)
        conditions.push(`type IN (${Array.from({ length: typeCount }, () => '?').join(', ')})`);
      const order = direction === 'forwards' ? 'ASC' : 'DESC';
      statement = this.db.prepare<Parameter[], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position ${order} LIMIT ?`,
      );
      this.#cache.set(key, statement);
    }
    return statement;
  }
}
