import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../../../src/mcp/create-mcp-server.js';
import { type ServicesHarness, startServicesHarness } from '../support/services-harness.js';
import { Waitable } from '../support/waitable.js';
import { INITIALIZE } from './transport-harness.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  maxLength?: number;
}

interface ToolInfo {
  name: string;
  inputSchema: JsonSchema;
}

type Reply = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

const JSON_KINDS = ['string', 'number', 'boolean', 'object', 'array', 'null'] as const;

/** A value of some JSON kind other than the schema's type(s). */
function wrongTypeFor(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  if (schema.type === undefined) return undefined;
  const declared = new Set(Array.isArray(schema.type) ? schema.type : [schema.type]);
  if (declared.has('integer')) declared.add('number');
  const kinds = JSON_KINDS.filter((kind) => !declared.has(kind));
  const of: Record<(typeof JSON_KINDS)[number], fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string({ maxLength: 40 }), hugeString),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    object: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    array: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
    null: fc.constant(null),
  };
  return kinds.length === 0 ? undefined : fc.oneof(...kinds.map((kind) => of[kind]));
}

/** Strings far beyond any field's limit, still well within a message limit. */
const hugeString = fc.integer({ min: 1_000, max: 300_000 }).map((length) => 'é'.repeat(length));

const junkObject = fc.dictionary(
  fc.string({ maxLength: 16 }),
  fc.oneof(fc.jsonValue({ maxDepth: 3 }), hugeString),
  { maxKeys: 6 },
);

/** Arguments that cannot pass the tool's input schema. */
function invalidArguments(tool: ToolInfo): fc.Arbitrary<unknown> {
  const properties = tool.inputSchema.properties ?? {};
  const required = tool.inputSchema.required ?? [];
  const options: fc.Arbitrary<unknown>[] = [
    // Not an object at all.
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    ),
  ];
  if (required.length > 0) {
    // Every required field but one (the rest garbage).
    options.push(
      fc
        .tuple(
          fc.constantFrom(...required),
          junkObject,
          fc.dictionary(fc.constantFrom(...required), fc.jsonValue()),
        )
        .map(([missing, junk, present]) => {
          const args: Record<string, unknown> = { ...junk, ...present };
          delete args[missing];
          return args;
        }),
    );
  }
  const typed = Object.entries(properties)
    .map(([name, schema]) => ({ name, wrong: wrongTypeFor(schema), schema }))
    .filter(
      (entry): entry is { name: string; wrong: fc.Arbitrary<unknown>; schema: JsonSchema } => !!entry.wrong,
    );
  if (typed.length > 0) {
    // One field of the wrong JSON type.
    options.push(
      fc
        .tuple(fc.constantFrom(...typed), junkObject)
        .chain(([field, junk]) => field.wrong.map((value) => ({ ...junk, [field.name]: value }))),
    );
  }
  const bounded = Object.entries(properties).filter(([, schema]) => schema.maxLength !== undefined);
  if (bounded.length > 0) {
    // One string longer than its maximum.
    options.push(
      fc
        .tuple(fc.constantFrom(...bounded), junkObject, fc.integer({ min: 1, max: 1000 }))
        .map(([[name, schema], junk, extra]) => ({ ...junk, [name]: 'x'.repeat(schema.maxLength! + extra) })),
    );
  }
  return fc.oneof(...options);
}

describe('malformed tools/call requests (property-based, in-memory transport)', () => {
  let harness: ServicesHarness;
  let client: InMemoryTransport;
  const replies = new Waitable<Reply>();
  let nextId = 100;

  const send = async (message: Record<string, unknown>): Promise<Reply> => {
    const id = nextId++;
    await client.send({ jsonrpc: '2.0', id, ...message } as JSONRPCMessage);
    return replies.next((reply) => reply.id === id, 10_000);
  };

  beforeAll(async () => {
    harness = await startServicesHarness();
    const server = createMcpServer(harness.context, harness.services);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = clientSide;
    client.onmessage = (message) => replies.push(message as Reply);
    await server.connect(serverSide);
    await client.start();
    await client.send(INITIALIZE as unknown as JSONRPCMessage);
    await replies.next((reply) => reply.id === 1);
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // Something in the store, so "unchanged" means more than "still empty".
    const seeded = await send({
      method: 'tools/call',
      params: { name: 'bzzz_announce', arguments: { agent_id: 'seed-1', role: 'tester' } },
    });
    expect(seeded.result?.isError).toBeFalsy();
  });
  afterAll(() => harness.close());

  it('answers every malformed call with an isError result or a JSON-RPC error, appends nothing, and keeps serving', async () => {
    const listed = await send({ method: 'tools/list', params: {} });
    const tools = (listed.result?.tools ?? []) as ToolInfo[];
    expect(tools.length).toBeGreaterThanOrEqual(3);
    const names = tools.map((tool) => tool.name);
    const before = await harness.store.readAll();

    const knownTool = fc.constantFrom(...tools);
    const params: fc.Arbitrary<unknown> = fc.oneof(
      // Tools that do not exist.
      fc.record({
        name: fc.string({ maxLength: 64 }).filter((name) => !names.includes(name)),
        arguments: junkObject,
      }),
      // Real tools, arguments their schema refuses (weighted: the interesting case).
      {
        weight: 4,
        arbitrary: knownTool.chain((tool) =>
          invalidArguments(tool).map((args) => ({ name: tool.name, arguments: args })),
        ),
      },
      // Names of the wrong type, or none.
      fc.record({
        name: fc.oneof(
          fc.integer(),
          fc.constant(null),
          fc.array(fc.string()),
          hugeString.map((s) => ({ s })),
        ),
      }),
      fc.record({ arguments: junkObject }),
      fc.constant({}),
    );
    // (Params that are not an object make the message itself invalid JSON-RPC for MCP: there is no request to
    // answer over an in-memory pair. The WebSocket transport answers those with -32600, HTTP with 400.)
    let answered = 0;
    let rpcErrors = 0;
    let toolErrors = 0;
    await fc.assert(
      fc.asyncProperty(
        params,
        fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }),
        async (p, token) => {
          const withMeta =
            token !== undefined && typeof p === 'object' && p !== null && !Array.isArray(p)
              ? { ...p, _meta: { progressToken: token } }
              : p;
          const reply = await send({ method: 'tools/call', params: withMeta });
          answered++;
          if (reply.error) {
            rpcErrors++;
            expect(reply.error.code).toEqual(expect.any(Number));
            expect(reply.error.message).toEqual(expect.any(String));
          } else {
            toolErrors++;
            expect(reply.result?.isError, JSON.stringify(withMeta).slice(0, 300)).toBe(true);
            expect(reply.result?.structuredContent ?? {}).not.toHaveProperty('success', true);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(answered).toBeGreaterThanOrEqual(400);
    // Both failure paths were exercised: the SDK's own (-32602) and the tools' validation (isError).
    expect(rpcErrors).toBeGreaterThan(40);
    expect(toolErrors).toBeGreaterThan(100);
    expect(await harness.store.readAll()).toEqual(before);

    const valid = await send({
      method: 'tools/call',
      params: { name: 'bzzz_lookup', arguments: { semantic_address: 'bzzz://seed-1' } },
    });
    expect(valid.result?.isError).toBeFalsy();
    expect(valid.result?.structuredContent).toMatchObject({ success: true, count: 1 });
  });
});
