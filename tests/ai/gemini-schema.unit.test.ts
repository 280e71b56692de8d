// Zod answer schemas as Gemini's responseSchema: the OpenAPI subset it takes, and a clear refusal of the rest.
import test from 'ava';
import { z } from 'zod';
import { UnsupportedSchema, toGeminiSchema } from '../../infrastructure/ai/gemini/gemini-ai-provider.js';

test('objects, arrays, enums, nullables and descriptions carry over; bounds and extras are dropped', (t) => {
  const schema = z.object({
    title: z.string().min(3).max(80).describe('A short title'),
    kind: z.enum(['call', 'meeting']),
    notes: z.string().nullable(),
    attendees: z.array(z.object({ name: z.string(), age: z.int().min(0) })).max(10),
    score: z.number().min(0).max(1),
    done: z.boolean().default(false),
    due: z.iso.datetime(),
    channel: z.literal('email'),
    summary: z.string().optional(),
  });

  t.deepEqual(toGeminiSchema(schema), {
    type: 'object',
    properties: {
      title: { type: 'string', description: 'A short title' },
      kind: { type: 'string', format: 'enum', enum: ['call', 'meeting'] },
      notes: { type: 'string', nullable: true },
      attendees: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] } },
      score: { type: 'number' },
      done: { type: 'boolean' },
      due: { type: 'string', format: 'date-time' },
      channel: { type: 'string', format: 'enum', enum: ['email'] },
      summary: { type: 'string' },
    },
    required: ['title', 'kind', 'notes', 'attendees', 'score', 'done', 'due', 'channel'],
  });
});

test('a nullable enum stays an enum of its strings', (t) => {
  t.deepEqual(toGeminiSchema(z.object({ size: z.enum(['s', 'm']).nullable() })), {
    type: 'object',
    properties: { size: { type: 'string', format: 'enum', enum: ['s', 'm'], nullable: true } },
    required: ['size'],
  });
});

test('what Gemini cannot express is refused, naming where', (t) => {
  const cases: [z.ZodType, RegExp][] = [
    [z.object({ value: z.union([z.string(), z.number()]) }), /^value: anyOf/],
    [z.object({ tags: z.record(z.string(), z.number()) }), /^tags: an object needs named properties/],
    [z.object({}), /^the answer: an object needs named properties/],
    [z.object({ when: z.date() }), /^no JSON schema|^when: type/],
  ];
  for (const [schema, message] of cases) t.throws(() => toGeminiSchema(schema), { instanceOf: UnsupportedSchema, message }, String(message));

  type Node = { name: string; children: Node[] };
  const tree: z.ZodType<Node> = z.object({ name: z.string(), get children() { return z.array(tree); } });
  t.throws(() => toGeminiSchema(tree), { instanceOf: UnsupportedSchema, message: /^children\[\]: \$ref/ });
});
