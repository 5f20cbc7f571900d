import { randomUUID } from 'node:crypto';

/**
 * A fresh id in the seed's style, `<prefix>-<ms since epoch>-<6 base36 characters>` (e.g.
 * `thread-1691601740123-x9k2p0`). Ids are made here, in the tool layer, and handed to the actors in
 * their commands: `decide` never invents them.
 */
export function newToolId(prefix: string, now: number): string {
  const random = Number.parseInt(randomUUID().replaceAll('-', '').slice(0, 10), 16)
    .toString(36)
    .padStart(6, '0')
    .slice(-6);
  return `${prefix}-${now}-${random}`;
}
