// Where the machine's CPU went while a figure was measured, from Linux's /proc: how busy all cores were, and how
// much of it the processes under test took. A latency measured on a machine with no CPU to spare is mostly
// queueing, and these say whether it was. Elsewhere than Linux nothing is read and nothing is reported.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Details } from './figures.js';

/** In percent of one core: 200 % is both cores of a 2-core machine. */
export type CpuShare = Readonly<{ machineBusyPercent: number; processesPercent: number }>;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

/** Starts watching; `stop()` gives the shares since, or undefined where /proc cannot be read. */
export function watchCpu(pids: readonly number[]): { stop(): CpuShare | undefined } {
  const machineAt = machineTicks();
  const processesAt = processTicks(pids);
  const startedAt = performance.now();
  return {
    stop() {
      const machine = machineTicks();
      const processes = processTicks(pids);
      if (machine === undefined || machineAt === undefined || processes === undefined || processesAt === undefined) return undefined;
      const cores = os.availableParallelism();
      const busy = (machine.busy - machineAt.busy) / Math.max(1, machine.total - machineAt.total);
      const seconds = (performance.now() - startedAt) / 1000;
      return {
        machineBusyPercent: Math.round(busy * cores * 100),
        processesPercent: Math.round(((processes - processesAt) / TICKS_PER_SECOND / seconds) * 100),
      };
    },
  };
}

/** As a figure's details: how busy all cores were, and how much of one core `whose` processes took. */
export const cpuDetails = (cpu: CpuShare | undefined, whose: string): Details =>
  cpu === undefined ? {} : { 'machine busy %': `${cpu.machineBusyPercent} of ${os.availableParallelism() * 100}`, [`${whose} CPU %`]: cpu.processesPercent };

/** All cores' ticks from the first line of /proc/stat: busy is everything but idle and iowait. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((sum, ticks) => sum + ticks, 0);
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return undefined;
  }
}

/** The user and system ticks of these processes, all their threads. */
function processTicks(pids: readonly number[]): number | undefined {
  try {
    let ticks = 0;
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name, in parentheses, may hold spaces: the fields counted here come after it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks;
  } catch {
    return undefined;
  }
}
