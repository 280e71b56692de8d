// The AI providers the configuration names, in its order: what the composition root hands the ProviderChain.
import type { AiProvider } from '../../application/ports/ai-provider.js';
import { assertNever } from '../../domain/kernel/decider.js';
import type { Config } from '../config.js';
import { GeminiAiProvider } from './gemini/gemini-ai-provider.js';
import { LocalAiProvider } from './local/local-ai-provider.js';
import { localTasks } from './local/local-tasks.js';

export function aiProviders(config: Pick<Config, 'aiProviders' | 'gemini'>): AiProvider[] {
  return config.aiProviders.map((name): AiProvider => {
    switch (name) {
      case 'local':
        return new LocalAiProvider(localTasks);
      case 'gemini': {
        // loadConfig refuses a chain that names gemini without a key; this guards hand-built configs.
        if (config.gemini === undefined) throw new RangeError('The gemini provider needs GEMINI_API_KEY');
        const { apiKey, model, baseUrl } = config.gemini;
        return new GeminiAiProvider({ apiKey: apiKey.reveal(), model, baseUrl });
      }
      default:
        return assertNever(name);
    }
  });
}
