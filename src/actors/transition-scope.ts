import { type AnyActorScope, type AnyStateMachine, createActor } from 'xstate';

interface ReusableScope {
  scope: AnyActorScope;
  collected: { type: string; params: unknown }[];
}

const scopes = new WeakMap<AnyStateMachine, ReusableScope>();

/**
 * XState's pure `transition()` builds a fresh actor (and computes the machine's initial state) on every
 * call, which dominated folding. This keeps one inert scope per machine, as `transition()` itself builds
 * it, and reuses it: it never starts, never runs an action, and only collects the actions a step
 * returns. Our machines spawn no children, so nothing else in the scope is ever used.
 */
export function transitionPure(
  machine: AnyStateMachine,
  input: unknown,
  snapshot: unknown,
  event: { type: string },
): [unknown, { type: string; params: unknown }[]] {
  const reusable = scopeFor(machine, input);
  reusable.collected = [];
  const next = machine.transition(snapshot as never, event as never, reusable.scope);
  return [next, reusable.collected];
}

function scopeFor(machine: AnyStateMachine, input: unknown): ReusableScope {
  const reusable = scopes.get(machine);
  if (reusable) return reusable;
  const self = createActor(machine, { input });
  const created: ReusableScope = {
    collected: [],
    scope: {
      self,
      system: self.system,
      id: '',
      sessionId: '',
      defer: () => {},
      logger: () => {},
      stopChild: () => {},
      emit: () => {},
      actionExecutor: (action: { type: string; params: unknown }) => {
        created.collected.push({ type: action.type, params: action.params });
      },
    } as unknown as AnyActorScope,
  };
  scopes.set(machine, created);
  return created;
}
