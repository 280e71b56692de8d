// given(events).when(command).then(events) / .thenThrows(code) for any Decider.
import type { ExecutionContext } from 'ava';
import type { Command, Decider, Event } from '../../domain/kernel/decider.js';
import { ChorusError } from '../../domain/kernel/errors.js';

export function DeciderSpecification<State, C extends Command, E extends Event>(decider: Decider<State, C, E>) {
  return {
    given: (history: readonly E[]) => ({
      when: (command: C) => {
        const run = (): readonly E[] => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
        return {
          then(t: ExecutionContext, expected: readonly E[]): void {
            t.deepEqual(run(), expected);
          },
          thenThrows(t: ExecutionContext, code: string): void {
            const error = t.throws(run);
            t.true(error instanceof ChorusError, `expected a ChorusError, got ${String(error)}`);
            t.is((error as ChorusError).code, code);
          },
        };
      },
    }),
  };
}
