import type { AnyActorKind } from './actor-kind.js';
import { agentKind } from './agent/agent-kind.js';
import { subscriptionKind } from './subscription/subscription-kind.js';
import { threadKind } from './thread/thread-kind.js';

/** Every actor kind of bzzz: streams `agent-<id>`, `thread-<id>`, `subscription-<id>`. */
export const actorKinds: readonly AnyActorKind[] = [agentKind, threadKind, subscriptionKind];
