import { AGENT_STATUSES, listAgents } from '../../projections/lookup/lookup-list.js';
import { getAgent } from '../../projections/lookup/lookup-queries.js';
import { isBzzzError } from '../../errors.js';
import type { RestDeps } from '../rest-routes.js';
import { boolean, cursor, limit, oneOf, parseQuery, text } from '../query-params.js';
import { badParameter, notFound, ok } from '../responses.js';
import type { Route } from '../router.js';

/**
 * `GET /api/agents?role=&status=&project=&available=&limit=&cursor=`: agents by id, every status
 * (retired too) unless `status` says which; `{agents, count, next_cursor}`.
 * `GET /api/agents/:id`: `{agent}`, or 404 AGENT_NOT_FOUND.
 */
export function agentRoutes(deps: RestDeps): Route[] {
  const db = () => deps.node.readModel;
  return [
    {
      method: 'GET',
      path: '/api/agents',
      handler: ({ query }) => {
        const q = parseQuery(query, {
          role: text(),
          status: oneOf(AGENT_STATUSES),
          project: text(),
          available: boolean(),
          limit: limit(),
          cursor: cursor(),
        });
        let page;
        try {
          page = listAgents(db(), q);
        } catch (error) {
          if (isBzzzError(error, 'INVALID_PARAMETERS') && q.cursor !== undefined) {
            throw badParameter('cursor', "is not a cursor from a previous page's next_cursor", q.cursor);
          }
          throw error;
        }
        return ok({ agents: page.items, count: page.items.length, next_cursor: page.next_cursor });
      },
    },
    {
      method: 'GET',
      path: '/api/agents/:id',
      handler: ({ params, query }) => {
        parseQuery(query, {});
        const id = params.id!;
        const agent = getAgent(db(), id);
        if (!agent)
          throw notFound('AGENT_NOT_FOUND', `agent ${JSON.stringify(id)} not found`, { agent_id: id });
        return ok({ agent });
      },
    },
  ];
}
