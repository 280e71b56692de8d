// Counts the statements Kysely sends through the handles this plugin is added to (`db.withPlugin(plugin)`).
import type { KyselyPlugin } from 'kysely';

export function statementCounter(): { plugin: KyselyPlugin; count(): number } {
  let statements = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { plugin, count: () => statements };
}
