// The ops context: the auto-heal attempts the supervisors record (`autoheal-<id>` streams). It keeps no read model:
// history and stats read the category from the log (application/ops/autoheal-history.ts). Its routes, with the
// other operator routes, are served by every process (api/http/command-center.ts).
import { AUTOHEAL_CATEGORY } from '../../domain/ops/autoheal-events.js';
import type { ContextModule } from '../context-module.js';

export const opsModule: ContextModule = {
  name: 'ops',
  categories: [AUTOHEAL_CATEGORY],
  migrations: {},
  projections: [],
  enrichers: () => [],
  upcasters: [],
};
