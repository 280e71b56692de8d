import { feedbackDecider, type ChangeFeedbackStatus, type SubmitFeedback } from '../../domain/feedback/commands.js';
import { feedbackStreamId, type FeedbackStatus } from '../../domain/feedback/events.js';
import { handleCommand, type CommandContext, type CommandDependencies, type CommandResult } from '../kernel/handle-command.js';

export type SubmitFeedbackInput = Readonly<{
  text: string;
  rating: number | null;
  channel: string | null;
  appVersion: string | null;
  customerId: string | null;
}>;

export type ChangeFeedbackStatusInput = Readonly<{ status: FeedbackStatus; note: string | null }>;

export type FeedbackCommandResult = CommandResult & Readonly<{ id: string }>;

export async function submitFeedback(
  deps: CommandDependencies,
  input: SubmitFeedbackInput,
  context: CommandContext,
): Promise<FeedbackCommandResult> {
  const feedbackId = deps.ids.next();
  const result = await handleCommand(
    deps,
    feedbackDecider,
    feedbackStreamId(feedbackId),
    (now): SubmitFeedback => ({ type: 'SubmitFeedback', data: { feedbackId, ...input }, metadata: { now } }),
    { ...context, newStream: true },
  );
  return { ...result, id: feedbackId };
}

export async function changeFeedbackStatus(
  deps: CommandDependencies,
  feedbackId: string,
  input: ChangeFeedbackStatusInput,
  context: CommandContext,
): Promise<FeedbackCommandResult> {
  const result = await handleCommand(
    deps,
    feedbackDecider,
    feedbackStreamId(feedbackId),
    (now): ChangeFeedbackStatus => ({ type: 'ChangeFeedbackStatus', data: { feedbackId, ...input }, metadata: { now } }),
    context,
  );
  return { ...result, id: feedbackId };
}
