// `chorus rebuild` (blue/green, with progress, resumable, --rollback, --drop-previous) and `chorus verify`.
import type { Command } from 'commander';
import type { System } from '../../infrastructure/composition-root.js';
import { verificationDiffers } from '../../projections/rebuild/projection-verification.js';
import { UsageError, withSystem } from './cli-support.js';
import { progressDisplay } from './progress-display.js';

type RebuildFlags = { all?: boolean; rollback?: boolean; dropPrevious?: boolean };

/** How often the display reads the rebuild's progress (kept in the database, as every process sees it). */
const PROGRESS_EVERY_MS = 500;

export function rebuildCommands(program: Command): void {
  program
    .command('rebuild')
    .description('rebuild a projection into new tables while the live ones serve, then swap them in (resumes a rebuild that stopped)')
    .argument('[projection]', 'the projection (see chorus projections status)')
    .option('--all', 'every projection, one after another')
    .option('--rollback', 'make the previous build live again instead')
    .option('--drop-previous', 'drop the previous build (no rollback to it after this) instead')
    .action((name: string | undefined, flags: RebuildFlags) =>
      withSystem(async (system) => {
        if (flags.rollback === true && flags.dropPrevious === true) throw new UsageError('Choose --rollback or --drop-previous, not both');
        for (const projection of projectionsOf(system, name, flags.all === true)) {
          if (flags.rollback === true) {
            const { generation, version } = await system.rebuilds.rollback(projection);
            console.log(`${projection}: rolled back to build ${generation} (version ${version}); the build it replaced is kept as the previous one`);
          } else if (flags.dropPrevious === true) {
            const dropped = await system.rebuilds.dropPrevious(projection);
            console.log(`${projection}: ${dropped ? 'previous build dropped' : 'no previous build'}`);
          } else if (!(await rebuild(system, projection))) {
            process.exitCode = 130;
            return;
          }
        }
      }),
    );

  program
    .command('verify')
    .description("build a projection afresh in scratch tables up to what the live one has applied, and compare their rows (exit 1 when they differ)")
    .argument('[projection]', 'the projection')
    .option('--all', 'every projection')
    .option('--examples <n>', 'differences to show in detail', '10')
    .action((name: string | undefined, flags: { all?: boolean; examples: string }) =>
      withSystem(async (system) => {
        const examples = Number(flags.examples);
        if (!Number.isInteger(examples) || examples < 0 || examples > 1000) throw new UsageError('--examples is a whole number from 0 to 1000');
        let differs = false;
        for (const projection of projectionsOf(system, name, flags.all === true)) {
          const verification = await system.verifications.verify(system.rebuilds.projection(projection), examples);
          const { missing, extra, different } = verification;
          console.log(`${projection}: ${missing} missing, ${extra} extra, ${different} different${verificationDiffers(verification) ? '' : ' (equal to the log)'}`);
          for (const example of verification.examples) console.log(`  ${example.kind} ${example.table} ${JSON.stringify(example.key)}\n    expected ${JSON.stringify(example.expected ?? null)}\n    actual   ${JSON.stringify(example.actual ?? null)}`);
          differs ||= verificationDiffers(verification);
        }
        if (differs) process.exitCode = 1;
      }),
    );
}

function projectionsOf(system: System, name: string | undefined, all: boolean): string[] {
  if (all === (name !== undefined)) throw new UsageError('Name one projection or give --all');
  return all ? system.projections.map((projection) => projection.name) : [system.rebuilds.projection(name!).name];
}

/** Runs one rebuild with progress on stderr; false when Ctrl-C stopped it. */
async function rebuild(system: System, projection: string): Promise<boolean> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const display = progressDisplay(`rebuild ${projection}`, 'events');
  const show = async (): Promise<void> => {
    const row = await system.database.db.selectFrom('projection_rebuilds').selectAll().where('projection', '=', projection).executeTakeFirst();
    if (row === undefined) return;
    const processed = Number(row.processed);
    display.update({ done: processed, total: Math.max(processed, Number(row.total)), rate: row.rate, etaSeconds: row.eta_seconds, detail: `position ${row.checkpoint ?? '-'}${row.last_error ? `, last error: ${row.last_error}` : ''}` });
  };
  const timer = setInterval(() => void show().catch(() => undefined), PROGRESS_EVERY_MS);
  try {
    const outcome = await system.rebuilds.run(projection, controller.signal);
    await show();
    if (outcome.status === 'stopped') {
      display.stop(`${projection}: rebuild stopped after ${outcome.processed} event(s); run \`chorus rebuild ${projection}\` again to resume from its checkpoint`);
      return false;
    }
    display.stop(`${projection}: rebuilt from ${outcome.processed} event(s) and swapped in as build ${outcome.generation}; \`chorus rebuild ${projection} --rollback\` restores the previous one`);
    return true;
  } catch (error) {
    display.stop(`${projection}: rebuild failed; run \`chorus rebuild ${projection}\` again to resume from its checkpoint`);
    throw error;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}
