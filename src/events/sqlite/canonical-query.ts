import type Database from 'better-sqlite3';
import type { CanonicalPage, CanonicalReadOptions, ComposedIdentity } from '../canonical-reads.js';
import { type EventRow, toRecordedEvent } from './rows.js';
import { EVENT_COLUMNS } from './statements.js';

type Parameter = string | number;

interface PageRow {
  scanned: number;
  last: number | null;
  positions: string | null;
  lengths: string | null;
  bytes: Buffer | null;
  others: string | null;
  ids?: string;
  streams?: string;
  revisions?: string | null;
}

/**
 * The embedded store's canonical reads. The store writes `data` and `metadata` as canonical JSON text
 * (prepare-events.ts), so the canonical bytes of an event (canonical-event.ts: RFC 8785 JSON of
 * `{v, id, stream, revision, type, data, metadata}`, members in that sorted order) are that text and
 * the other columns spliced into a fixed frame, which SQLite does itself: one query per page, one
 * buffer back, no row objects, no JSON parsed.
 *
 * SQLite composes only what it reproduces exactly: events whose metadata text starts with the author
 * member (the canonical text of an object whose first key is `author`), with an integer revision and
 * ASCII stream and type (`json_quote` equals `JSON.stringify` for those; a stream with a lone
 * surrogate, say, is stored as bytes that read back differently). Every other entry is read and parsed
 * as by `readAll`. Tests hold the composed bytes to `canonicalEventBytes` of the parsed events.
 */
export class CanonicalQueries {
  readonly #cache = new Map<string, Database.Statement<Parameter[], PageRow>>();
  readonly #byPositions: Database.Statement<[string], EventRow>;
  readonly #snapshot: Database.Transaction<(run: () => CanonicalPage) => CanonicalPage>;

  constructor(private readonly db: Database.Database) {
    this.#byPositions = db.prepare<[string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position IN (SELECT value FROM json_each(?)) ORDER BY position`,
    );
    this.#snapshot = db.transaction((run: () => CanonicalPage) => run());
  }

  run(options: CanonicalReadOptions): CanonicalPage {
    const excluded = options.excludeStreamPrefixes ?? [];
    const withIdentity = options.withIdentity ?? false;
    const statement = this.#statement(excluded.length, withIdentity);
    // SQLite's substr counts characters (code points) where JS counts UTF-16 units.
    const authorPrefix = `{"author":${JSON.stringify(options.author)}`;
    const parameters: Parameter[] = [[...authorPrefix].length, authorPrefix];
    for (const prefix of excluded) parameters.push([...prefix].length, prefix);
    parameters.push(Number(options.fromPosition), options.maxCount);
    const read = () => this.#page(statement.get(...parameters)!, withIdentity);
    // The rows parsed apart are read in the same snapshot as the page.
    return this.db.inTransaction ? read() : this.#snapshot(read);
  }

  #page(row: PageRow, withIdentity: boolean): CanonicalPage {
    const positions = row.positions === null ? [] : row.positions.split(',');
    const lengths = row.lengths === null ? [] : row.lengths.split(',');
    const bytes = row.bytes ?? Buffer.alloc(0);
    const count = positions.length;
    const offsets = new Uint32Array(count + 1);
    const bigPositions = new Array<bigint>(count);
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const position = Number(positions[i]);
      if (!(position > previous)) throw new Error('internal: canonical page out of order');
      previous = position;
      bigPositions[i] = BigInt(position);
      offsets[i + 1] = offsets[i]! + Number(lengths[i]);
    }
    if (lengths.length !== count || offsets[count] !== bytes.length) {
      throw new Error('internal: canonical page lengths do not add up');
    }
    const parsed = row.others === null ? [] : this.#byPositions.all(`[${row.others}]`).map(toRecordedEvent);
    const parsedAfter: number[] = [];
    let composedBefore = 0;
    for (const event of parsed) {
      const position = Number(event.position);
      while (composedBefore < count && Number(positions[composedBefore]) < position) composedBefore++;
      parsedAfter.push(composedBefore);
    }
    if (parsed.length + count !== row.scanned)
      throw new Error('internal: canonical page entries do not add up');
    const page: CanonicalPage = {
      scanned: row.scanned,
      last: row.last === null ? undefined : BigInt(row.last),
      composed: { count, positions: bigPositions, bytes, offsets },
      parsed,
      parsedAfter,
      fromStoredText: true,
    };
    if (withIdentity) page.composed.identity = identityOf(row, count);
    return page;
  }

  #statement(excludedCount: number, withIdentity: boolean) {
    const key = `${excludedCount}:${withIdentity}`;
    let statement = this.#cache.get(key);
    if (!statement) {
      const composable = [
        'substr(metadata, 1, ?) = ?',
        "typeof(revision) = 'integer'",
        'length(stream) = octet_length(stream)',
        'length(type) = octet_length(type)',
        ...Array.from({ length: excludedCount }, () => 'substr(stream, 1, ?) <> ?'),
      ].join(' AND ');
      // canonical-event.ts, members sorted: data, id, metadata, revision, stream, type, v.
      const frame =
        `concat('{"data":', data, ',"id":', json_quote(event_id), ',"metadata":', metadata, ` +
        `',"revision":', revision, ',"stream":', json_quote(stream), ',"type":', json_quote(type), ',"v":1}')`;
      const identity = withIdentity
        ? `json_group_array(event_id) FILTER (WHERE c IS NOT NULL) AS ids,
           json_group_array(stream) FILTER (WHERE c IS NOT NULL) AS streams,
           group_concat(revision) FILTER (WHERE c IS NOT NULL) AS revisions,`
        : '';
      // Every aggregate sees the rows in the same (position) order, so the lists line up.
      statement = this.db.prepare<Parameter[], PageRow>(
        `SELECT count(*) AS scanned, max(position) AS last,
                group_concat(position) FILTER (WHERE c IS NOT NULL) AS positions, ${identity}
                group_concat(octet_length(c)) AS lengths,
                CAST(group_concat(c, '') AS BLOB) AS bytes,
                group_concat(position) FILTER (WHERE c IS NULL) AS others
         FROM (SELECT position, event_id, stream, revision, CASE WHEN ${composable} THEN ${frame} END AS c
               FROM events WHERE position >= ? ORDER BY position LIMIT ?)`,
      );
      this.#cache.set(key, statement);
    }
    return statement;
  }
}

function identityOf(row: PageRow, count: number): ComposedIdentity {
  const ids = JSON.parse(row.ids ?? '[]') as string[];
  const streams = JSON.parse(row.streams ?? '[]') as string[];
  const revisions = row.revisions ? row.revisions.split(',').map(Number) : [];
  if (ids.length !== count || streams.length !== count || revisions.length !== count) {
    throw new Error('internal: canonical page identities do not add up');
  }
  return { ids, streams, revisions };
}
