import { type StreamRow, StreamState } from './rows.js';
import type { Statements } from './statements.js';

/** Where an append finds a stream's last revision and state, and tells what it wrote. */
export interface StreamRows {
  get(stream: string): StreamRow;
  appended(stream: string, lastRevision: number): void;
}

/** Always asks the database (what every read outside the writer does). */
export function uncachedStreamRows(statements: Statements): StreamRows {
  return { get: (stream) => statements.stream.get({ stream })!, appended: () => undefined };
}

/**
 * The writer's memory of the streams it appended to, so that an append need not query the stream's
 * last revision and state first. It is exact while no other connection has written: `begin` runs at the
 * start of every write transaction, with the write lock held, and forgets everything when SQLite's
 * `data_version` says another connection committed meanwhile. Whatever the writer changes outside
 * appends (metadata, deletes) and any rolled-back group are forgotten with `clear`. At most `capacity`
 * streams are remembered; past that, the memory starts over.
 */
export class StreamCache implements StreamRows {
  readonly #rows = new Map<string, StreamRow>();
  #dataVersion: number | undefined;

  constructor(
    private readonly statements: Statements,
    private readonly readDataVersion: () => number,
    private readonly capacity = 10_000,
  ) {}

  begin(): void {
    const version = this.readDataVersion();
    if (version !== this.#dataVersion) {
      this.#rows.clear();
      this.#dataVersion = version;
    }
  }

  get(stream: string): StreamRow {
    const known = this.#rows.get(stream);
    if (known) return known;
    const row = this.statements.stream.get({ stream })!;
    if (this.#rows.size >= this.capacity) this.#rows.clear();
    this.#rows.set(stream, row);
    return row;
  }

  appended(stream: string, lastRevision: number): void {
    const row = this.#rows.get(stream);
    if (!row) return;
    row.last_revision = lastRevision;
    // A soft-deleted stream comes back to life with its first append.
    row.state = StreamState.Live;
  }

  clear(): void {
    this.#rows.clear();
    this.#dataVersion = undefined;
  }
}
