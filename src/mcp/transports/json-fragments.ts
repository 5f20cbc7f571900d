import { randomBytes } from 'node:crypto';

/**
 * JSON text kept beside values that are sent again and again unchanged: a lookup's matches are the
 * same frozen array for as long as no agent changes (lookupAgents), and serializing them is most of
 * what sending the answer costs. A transport that serializes with {@link serializeMessage} splices the
 * kept text in instead of serializing the value again; the bytes are the same.
 */
const fragments = new WeakMap<object, string>();

/** Keeps the JSON text of `value`, which must never change (freeze it); returns the value. */
export function withJsonFragment<T extends object>(value: T): T {
  if (!fragments.has(value)) fragments.set(value, JSON.stringify(value));
  return value;
}

/** Stands for a fragment while the rest of the message is serialized: unguessable, so never in a message. */
const MARK = `bzzz-json-fragment-${randomBytes(16).toString('hex')}`;
const QUOTED_MARK = JSON.stringify(MARK);

/**
 * `JSON.stringify(message)`, with the kept text of any value of a tool result's structured content
 * that has one ({@link withJsonFragment}).
 */
export function serializeMessage(message: object): string {
  const result = (message as { result?: unknown }).result;
  const structured =
    typeof result === 'object' && result !== null
      ? (result as { structuredContent?: unknown }).structuredContent
      : undefined;
  if (typeof structured !== 'object' || structured === null) return JSON.stringify(message);
  let spliced: string[] | undefined;
  let marked: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(structured)) {
    const json = typeof value === 'object' && value !== null ? fragments.get(value) : undefined;
    if (json === undefined) continue;
    marked ??= { ...(structured as Record<string, unknown>) };
    marked[key] = MARK;
    (spliced ??= []).push(json);
  }
  if (marked === undefined || spliced === undefined) return JSON.stringify(message);
  const parts = JSON.stringify({
    ...message,
    result: { ...(result as object), structuredContent: marked },
  }).split(QUOTED_MARK);
  // Key order is kept, so the marks come in the order the fragments were found.
  if (parts.length !== spliced.length + 1) return JSON.stringify(message);
  let text = parts[0]!;
  for (let i = 0; i < spliced.length; i++) text += spliced[i]! + parts[i + 1]!;
  return text;
}
