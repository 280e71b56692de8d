// POST /v1/diagrams/generate: a diagram whose first version the AI provider chain writes from a description. The
// answer is checked like any source a person sends; DiagramGenerated records the prompt, the provider and its model.
import { z } from 'zod';
import { AllProvidersFailed } from '../../application/ai/provider-chain.js';
import { createDiagram } from '../../application/diagrams/diagram-commands.js';
import { diagramGenerationTask } from '../../application/diagrams/diagram-generation.js';
import { DIAGRAM_FORMATS, DIAGRAM_PROMPT_MAX_LENGTH, DIAGRAM_SOURCE_MAX_LENGTH, DIAGRAM_VISIBILITIES } from '../../domain/diagrams/diagram-events.js';
import { ValidationError } from '../../domain/kernel/errors.js';
import { commandContextOf } from './access.js';
import type { HttpDependencies } from './dependencies.js';
import { actorOf, checkSource, respond, Source, WRITERS } from './diagrams.js';
import { answerAllProvidersFailed, HttpProblem } from './problem.js';
import { route } from './routes.js';

const GenerateBody = z.strictObject({
  prompt: z.string().trim().min(1).max(DIAGRAM_PROMPT_MAX_LENGTH),
  format: z.enum(DIAGRAM_FORMATS),
  visibility: z.enum(DIAGRAM_VISIBILITIES).default('private'),
});

export const diagramGenerationRoutes = (deps: HttpDependencies) => [
  route({
    method: 'post',
    path: '/v1/diagrams/generate',
    tag: 'diagrams',
    summary: 'Create a diagram whose first version the AI provider chain writes from a description (DiagramGenerated records the prompt, provider and model)',
    access: WRITERS,
    callsAi: true,
    body: GenerateBody,
    responses: {
      201: 'Created: { id, revision, position, version: 1, title, provider, model }',
      400: 'Invalid body (REQUEST.INVALID)',
      429: 'Over CHORUS_RATE_LIMIT_AI_PER_MIN for this user (RATE_LIMITED), or another rate limit',
      502: 'Every provider failed (AI.ALL_PROVIDERS_FAILED), or the answer is not a valid source of the format (DIAGRAM.GENERATED_INVALID)',
      503: 'The renderer is busy (DIAGRAM.RENDERER_BUSY), with Retry-After',
    },
    async handle(ctx, { body, commands }) {
      let generated;
      try {
        generated = await deps.ai.run(diagramGenerationTask, { prompt: body.prompt, format: body.format });
      } catch (error) {
        if (!(error instanceof AllProvidersFailed)) throw error;
        ctx.state.log?.warn({ attempts: error.attempts }, 'diagram generation: every provider failed');
        answerAllProvidersFailed(ctx, error, 'generate the diagram');
        return;
      }
      const { answer, provider, model } = generated;
      // The answer is checked like any source a person sends; a bad one is the provider's fault, not the caller's.
      const generatedInvalid = (why: string): HttpProblem => {
        ctx.state.log?.warn({ provider, model, why }, 'diagram generation: the answer is not a valid source');
        return new HttpProblem(502, 'DIAGRAM.GENERATED_INVALID', `${provider} (${model}) answered a ${body.format} source that is not valid: ${why}`);
      };
      if (!Source.safeParse(answer.source).success) throw generatedInvalid(`not 1 to ${DIAGRAM_SOURCE_MAX_LENGTH} characters`);
      try {
        await checkSource(deps.diagramRenderer, body.format, answer.source);
      } catch (error) {
        if (error instanceof ValidationError || (error instanceof HttpProblem && error.code === 'DIAGRAM.TOO_COMPLEX')) throw generatedInvalid(error.message);
        throw error;
      }
      const input = { title: answer.title, format: body.format, visibility: body.visibility, source: answer.source, message: null, generation: { prompt: body.prompt, provider, model } };
      const result = await createDiagram(commands, input, actorOf(ctx), commandContextOf(ctx));
      respond(ctx, result, 201, `/v1/diagrams/${result.id}`);
      ctx.body = { ...(ctx.body as object), title: answer.title, provider, model };
    },
  }),
];
