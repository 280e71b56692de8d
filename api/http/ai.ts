// The AI orchestrator: run any registered intent on demand (POST /v1/ai/orchestrate) and see how each provider of
// the chain is doing (GET /v1/ai/providers/health). Intents come from the context modules, not from this file.
import { z } from 'zod';
import { IntentRegistry, orchestrate, type AnyAiIntent } from '../../application/ai/intents.js';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import type { Role } from '../../domain/identity/roles.js';
import { commandContextOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { answerAllProvidersFailed } from './problem.js';
import { route } from './routes.js';

const CALLERS: readonly Role[] = ['agent', 'operator'];
/** Provider health names upstream errors and circuit states: for the people who run the system, not every agent. */
const OPERATORS: readonly Role[] = ['operator'];

/** The whole request, input included: every intent's own schema bounds its fields well within this. */
export const ORCHESTRATE_MAX_BODY_BYTES = 64 * 1024;

const OrchestrateBody = z.strictObject({
  intent: z.string().min(1).max(100),
  input: z.unknown().refine((input) => input !== undefined, 'Required: the intent\'s input'),
  apply: z.boolean().default(false),
});

const elapsedSince = (started: number): number => Math.round((performance.now() - started) * 10) / 10;

export function aiRoutes(deps: HttpDependencies, intents: readonly AnyAiIntent[]) {
  const registry = new IntentRegistry(intents);
  const known = registry.intents.map((intent) => `\`${intent.name}\`${intent.apply === undefined ? '' : ' (apply)'}`).join(', ');
  return [
    route({
      method: 'post',
      path: '/v1/ai/orchestrate',
      tag: 'ai',
      summary: `Run an AI intent through the provider chain: ${known}`,
      access: CALLERS,
      callsAi: true,
      body: OrchestrateBody,
      maxBodyBytes: ORCHESTRATE_MAX_BODY_BYTES,
      responses: {
        200: '{ intent, result, usedProvider, latencyMs, attempts: [{ provider, ok, error?, latencyMs }] } (+ applied with apply: true)',
        400: 'Unknown intent (AI.UNKNOWN_INTENT, listing the known ones), invalid input (REQUEST.INVALID naming body.input.<field>), apply unsupported',
        413: 'Body over 64 KiB',
        429: 'Over CHORUS_RATE_LIMIT_AI_PER_MIN for this user (RATE_LIMITED), or another rate limit',
        502: 'Every provider failed (AI.ALL_PROVIDERS_FAILED), with each one\'s error and latency',
      },
      async handle(ctx, { body, commands }) {
        const started = performance.now();
        const context = commandContextOf(ctx);
        try {
          const outcome = await orchestrate(registry, deps.ai, body, { commands, context });
          const latencyMs = elapsedSince(started);
          ctx.state.log?.info({ intent: outcome.intent, provider: outcome.usedProvider, latencyMs, apply: body.apply, actor: context.actor.sub }, 'AI intent run');
          ctx.body = {
            intent: outcome.intent,
            result: outcome.result,
            usedProvider: outcome.usedProvider,
            latencyMs,
            attempts: outcome.attempts,
            ...(outcome.applied === undefined ? {} : { applied: outcome.applied }),
          };
          const appliedPosition = (outcome.applied as { position?: unknown } | undefined)?.position;
          if (typeof appliedPosition === 'string') ctx.set('X-Chorus-Position', appliedPosition);
        } catch (error) {
          if (!(error instanceof AllProvidersFailed)) throw error;
          const latencyMs = elapsedSince(started);
          ctx.state.log?.warn({ intent: body.intent, attempts: error.attempts, latencyMs }, 'AI intent: every provider failed');
          answerAllProvidersFailed(ctx, error, `run ${body.intent}`, { intent: body.intent, latencyMs });
        }
      },
    }),
    route({
      method: 'get',
      path: '/v1/ai/providers/health',
      tag: 'ai',
      summary: 'Each AI provider in CHORUS_AI_PROVIDERS order: healthy, circuit, calls, failures, last error, last checked, mean latency (this process)',
      access: OPERATORS,
      responses: { 200: '{ providers: [{ name, healthy, circuit, calls, failures, lastError, lastErrorAt, lastSuccessAt, lastCheckedAt, meanLatencyMs }] }' },
      async handle(ctx) {
        ctx.body = { providers: deps.ai.health() };
      },
    }),
  ];
}
