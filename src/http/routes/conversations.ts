import type { ThreadStatus } from '../../actors/thread/thread-view.js';
import { isBzzzError } from '../../errors.js';
import {
  getThread,
  getThreadMessages,
  listThreads,
  type ThreadDetail,
} from '../../projections/threads/threads-queries.js';
import type { RestDeps } from '../rest-routes.js';
import { cursor, limit, oneOf, parseQuery, text } from '../query-params.js';
import { badParameter, notFound, ok } from '../responses.js';
import type { Route } from '../router.js';

export const THREAD_STATUSES: readonly ThreadStatus[] = [
  'new',
  'active',
  'paused',
  'escalated',
  'completed',
  'closed',
];

/** Runs a paged query; a cursor it does not accept is a 400 naming the parameter it came in. */
function withCursor<T>(parameter: string, value: string | undefined, query: () => T): T {
  try {
    return query();
  } catch (error) {
    if (isBzzzError(error, 'INVALID_PARAMETERS') && value !== undefined) {
      throw badParameter(parameter, "is not a cursor from a previous page's next_cursor", value);
    }
    throw error;
  }
}

/**
 * `GET /api/conversations?status=&participant=&project=&limit=&cursor=`: threads, most recently active
 * first; `{conversations, count, next_cursor}`.
 * `GET /api/conversations/:id?messages_limit=&messages_cursor=`: `{conversation, messages,
 * messages_next_cursor}`: the thread and one page of its messages, oldest first.
 * `GET /api/conversations/:id/messages?limit=&cursor=&order=asc|desc`: `{thread_id, messages, count,
 * next_cursor}`. Unknown thread: 404 THREAD_NOT_FOUND.
 */
export function conversationRoutes(deps: RestDeps): Route[] {
  const db = () => deps.node.readModel;
  const thread = (id: string): ThreadDetail => {
    const found = getThread(db(), id);
    if (!found)
      throw notFound('THREAD_NOT_FOUND', `thread ${JSON.stringify(id)} not found`, { thread_id: id });
    return found;
  };
  return [
    {
      method: 'GET',
      path: '/api/conversations',
      handler: ({ query }) => {
        const q = parseQuery(query, {
          status: oneOf(THREAD_STATUSES),
          participant: text(),
          project: text(),
          limit: limit(),
          cursor: cursor(),
        });
        const page = withCursor('cursor', q.cursor, () => listThreads(db(), q));
        return ok({ conversations: page.items, count: page.items.length, next_cursor: page.next_cursor });
      },
    },
    {
      method: 'GET',
      path: '/api/conversations/:id',
      handler: ({ params, query }) => {
        const q = parseQuery(query, { messages_limit: limit(), messages_cursor: cursor() });
        const conversation = thread(params.id!);
        const page = withCursor('messages_cursor', q.messages_cursor, () =>
          getThreadMessages(db(), conversation.id, { limit: q.messages_limit, cursor: q.messages_cursor }),
        );
        return ok({ conversation, messages: page.items, messages_next_cursor: page.next_cursor });
      },
    },
    {
      method: 'GET',
      path: '/api/conversations/:id/messages',
      handler: ({ params, query }) => {
        const q = parseQuery(query, {
          limit: limit(),
          cursor: cursor(),
          order: oneOf(['asc', 'desc'] as const),
        });
        const id = thread(params.id!).id;
        const page = withCursor('cursor', q.cursor, () => getThreadMessages(db(), id, q));
        return ok({
          thread_id: id,
          messages: page.items,
          count: page.items.length,
          next_cursor: page.next_cursor,
        });
      },
    },
  ];
}
