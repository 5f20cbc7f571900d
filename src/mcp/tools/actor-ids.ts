import { z } from 'zod';
import { AGENT_ID_PATTERN } from '../../actors/agent/agent-events.js';

/** Agent ids as bzzz_announce accepts them (they are address parts and stream names). */
export const agentIdSchema = z
  .string()
  .regex(
    AGENT_ID_PATTERN,
    'an agent id: letters, digits, ".", "_", "-" (at most 128, not starting with a symbol)',
  );

/** Thread and subscription ids: the same alphabet as agent ids. */
export const actorIdSchema = z
  .string()
  .regex(AGENT_ID_PATTERN, 'an id: letters, digits, ".", "_", "-" (at most 128, not starting with a symbol)');
