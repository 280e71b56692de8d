// Progress of a long operation on stderr: a bar with count, rate and ETA on a terminal, a plain line every few
// seconds otherwise (a log file or CI), and always a last line, so that neither a stuck count nor an error hides.
import { SingleBar } from 'cli-progress';

export type ProgressFigures = Readonly<{ done: number; total: number; rate: number; etaSeconds: number | null; detail?: string }>;

export interface ProgressDisplay {
  update(figures: ProgressFigures): void;
  /** Ends the display with one plain line saying where it stopped. */
  stop(summary: string): void;
}

const PLAIN_EVERY_MS = 5000;

export function progressDisplay(label: string, unit: string): ProgressDisplay {
  return process.stderr.isTTY ? barDisplay(label, unit) : plainDisplay(label, unit);
}

const eta = (seconds: number | null): string => (seconds === null ? '?' : seconds < 60 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`);

export function describeProgress(label: string, unit: string, { done, total, rate, etaSeconds, detail }: ProgressFigures): string {
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
  return `${label}: ${done}/${total} ${unit} (${percent} %), ${Math.round(rate)} ${unit}/s, eta ${eta(etaSeconds)}${detail ? `, ${detail}` : ''}`;
}

function barDisplay(label: string, unit: string): ProgressDisplay {
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | eta {etaText} {detail}`,
    hideCursor: true,
    fps: 5,
  });
  let started = false;
  return {
    update({ done, total, rate, etaSeconds, detail }) {
      const payload = { speed: Math.round(rate), etaText: eta(etaSeconds), detail: detail ?? '' };
      if (!started) bar.start(total, done, payload);
      else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
      started = true;
    },
    stop(summary) {
      if (started) bar.stop();
      console.error(summary);
    },
  };
}

function plainDisplay(label: string, unit: string): ProgressDisplay {
  // The first line at once, so that a log shows the operation started and how much it has to do.
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    update(figures) {
      const now = performance.now();
      if (now - lastAt < PLAIN_EVERY_MS) return;
      lastAt = now;
      console.error(describeProgress(label, unit, figures));
    },
    stop(summary) {
      console.error(summary);
    },
  };
}
