// The Gemini provider on @google/generative-ai: one generateContent call per task, in JSON mode, with the task's
// answer schema as responseSchema. Everything SDK-specific lives in this file, so @google/genai can replace it here.
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIRequestInputError,
  GoogleGenerativeAIResponseError,
  SchemaType,
  type Schema,
} from '@google/generative-ai';
import { z } from 'zod';
import { ProviderUnavailable, type AiProvider, type AiTask, type AnyAiTask } from '../../../application/ports/ai-provider.js';

export type GeminiOptions = Readonly<{
  apiKey: string;
  /** `gemini-2.0-flash`, ... */
  model: string;
  /** The API's origin (no version, no trailing slash); the SDK's default when undefined. */
  baseUrl?: string | undefined;
}>;

/** A task whose answer schema Gemini's responseSchema (an OpenAPI subset) cannot express. */
export class UnsupportedSchema extends Error {}

/*
 * What responseSchema takes: type, properties, required, enum (strings), items, nullable, description and a
 * few formats. Bounds, patterns, defaults and additionalProperties are dropped (the chain validates the answer
 * against the full zod schema anyway); unions, records, references and empty objects cannot be expressed at all.
 */
type JsonSchema = Readonly<{
  type?: unknown;
  enum?: readonly unknown[];
  format?: unknown;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  items?: JsonSchema | readonly JsonSchema[];
  nullable?: boolean;
  description?: unknown;
  $ref?: unknown;
  anyOf?: unknown;
  oneOf?: unknown;
  allOf?: unknown;
}>;

function geminiSchemaOf(schema: JsonSchema, path: string): Schema {
  const at = path === '' ? 'the answer' : path;
  for (const keyword of ['$ref', 'anyOf', 'oneOf', 'allOf'] as const) {
    if (schema[keyword] !== undefined) throw new UnsupportedSchema(`${at}: ${keyword} is not supported by Gemini's responseSchema`);
  }
  const base = {
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    ...(schema.nullable === true ? { nullable: true } : {}),
  };
  switch (schema.type) {
    case 'string': {
      const values = schema.enum?.filter((value): value is string => typeof value === 'string');
      if (values !== undefined && values.length > 0) return { ...base, type: SchemaType.STRING, format: 'enum', enum: values };
      return { ...base, type: SchemaType.STRING, ...(schema.format === 'date-time' ? { format: 'date-time' } : {}) };
    }
    case 'number':
      return { ...base, type: SchemaType.NUMBER };
    case 'integer':
      return { ...base, type: SchemaType.INTEGER };
    case 'boolean':
      return { ...base, type: SchemaType.BOOLEAN };
    case 'array': {
      if (schema.items === undefined || Array.isArray(schema.items)) throw new UnsupportedSchema(`${at}: an array needs one items schema`);
      return { ...base, type: SchemaType.ARRAY, items: geminiSchemaOf(schema.items as JsonSchema, `${path}[]`) };
    }
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      if (entries.length === 0) throw new UnsupportedSchema(`${at}: an object needs named properties`);
      const properties = Object.fromEntries(entries.map(([name, property]) => [name, geminiSchemaOf(property, path === '' ? name : `${path}.${name}`)]));
      const required = (schema.required ?? []).filter((name) => name in properties);
      return { ...base, type: SchemaType.OBJECT, properties, ...(required.length > 0 ? { required } : {}) };
    }
    default:
      throw new UnsupportedSchema(`${at}: type ${JSON.stringify(schema.type) ?? 'missing'} is not supported by Gemini's responseSchema`);
  }
}

/** Gemini's responseSchema for a zod schema. @throws UnsupportedSchema when Gemini cannot express it. */
export function toGeminiSchema(answer: z.ZodType): Schema {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(answer, { target: 'openapi-3.0', io: 'output' }) as JsonSchema;
  } catch (error) {
    throw new UnsupportedSchema(`no JSON schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  return geminiSchemaOf(json, '');
}

/** Statuses that say the service or the account cannot be used now, not that this request is wrong. */
const UNAVAILABLE_STATUSES = new Set([401, 403, 404, 408, 429]);
const SDK_PREFIX = '[GoogleGenerativeAI Error]: ';

export class GeminiAiProvider implements AiProvider {
  readonly name = 'gemini';
  readonly #client: GoogleGenerativeAI;
  readonly #options: GeminiOptions;
  readonly #schemas = new WeakMap<AnyAiTask, Schema | UnsupportedSchema>();

  constructor(options: GeminiOptions) {
    if (options.apiKey === '') throw new RangeError('GeminiAiProvider needs an API key');
    this.#options = options;
    this.#client = new GoogleGenerativeAI(options.apiKey);
  }

  modelFor(): string {
    return this.#options.model;
  }

  supports(task: AnyAiTask): boolean {
    return !(this.#schemaOf(task) instanceof UnsupportedSchema);
  }

  async run<Input, Answer>(task: AiTask<Input, Answer>, input: Input, signal: AbortSignal): Promise<unknown> {
    const responseSchema = this.#schemaOf(task);
    if (responseSchema instanceof UnsupportedSchema) throw new ProviderUnavailable(`gemini cannot run ${task.name}: ${responseSchema.message}`);
    const { instruction, text } = task.describe(input);
    const model = this.#client.getGenerativeModel(
      { model: this.#options.model, systemInstruction: instruction, generationConfig: { responseMimeType: 'application/json', responseSchema } },
      this.#options.baseUrl === undefined ? {} : { baseUrl: this.#options.baseUrl },
    );
    let reply: string;
    try {
      const result = await model.generateContent({ contents: [{ role: 'user', parts: [{ text }] }] }, { signal });
      reply = result.response.text();
    } catch (error) {
      throw this.#translate(error);
    }
    try {
      return JSON.parse(reply) as unknown;
    } catch {
      throw new Error(`gemini answered malformed JSON to ${task.name} (${reply.length} characters)`);
    }
  }

  #schemaOf(task: AnyAiTask): Schema | UnsupportedSchema {
    let schema = this.#schemas.get(task);
    if (schema === undefined) {
      try {
        schema = toGeminiSchema(task.answer);
      } catch (error) {
        if (!(error instanceof UnsupportedSchema)) throw error;
        schema = error;
      }
      this.#schemas.set(task, schema);
    }
    return schema;
  }

  /** The SDK's errors as the chain reads them, with the request URL dropped and the key masked wherever it appears. */
  #translate(error: unknown): Error {
    if (error instanceof GoogleGenerativeAIFetchError) {
      const status = error.status ?? 0;
      const detail = this.#safe(/\] (.*)$/su.exec(error.message)?.[1] ?? '');
      const message = `gemini answered HTTP ${status}${error.statusText ? ` ${error.statusText}` : ''}${detail === '' ? '' : `: ${detail}`}`;
      return status >= 500 || UNAVAILABLE_STATUSES.has(status) ? new ProviderUnavailable(message) : new Error(message);
    }
    if (error instanceof GoogleGenerativeAIAbortError) return new ProviderUnavailable('gemini request aborted');
    // A blocked or empty candidate, or a request the SDK refused: about this input, not the service.
    if (error instanceof GoogleGenerativeAIResponseError || error instanceof GoogleGenerativeAIRequestInputError) {
      return new Error(`gemini: ${this.#safe(error.message.replace(SDK_PREFIX, ''))}`);
    }
    // What the SDK wraps a failed fetch in (DNS, refused, reset): the service is out of reach.
    if (error instanceof GoogleGenerativeAIError && error.message.startsWith(`${SDK_PREFIX}Error fetching from `)) {
      return new ProviderUnavailable(`gemini unreachable: ${this.#safe(/: ([^:]*)$/u.exec(error.message)?.[1] ?? 'network error')}`);
    }
    return error instanceof Error ? new Error(`gemini: ${this.#safe(error.message.replace(SDK_PREFIX, ''))}`) : new Error('gemini failed');
  }

  /** Masked before it is cut, so no part of the key survives either. */
  #safe(text: string): string {
    const masked = text.replaceAll(this.#options.apiKey, '[redacted]');
    return masked.length > 200 ? `${masked.slice(0, 200)}…` : masked;
  }
}
