// The shape every aggregate follows: pure decide/evolve over readonly messages.

/** What a command carries besides its data: time arrives with it, it is never read from a clock. */
export type CommandMetadata = Readonly<{ now: Date }>;

export type Command<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

export type Event<Type extends string = string, Data = unknown> = Readonly<{ type: Type; data: Readonly<Data> }>;

export type Decider<State, C extends Command, E extends Event> = Readonly<{
  decide: (command: C, state: State) => readonly E[];
  evolve: (state: State, event: E) => State;
  initialState: () => State;
  /**
   * For streams that grow long: keep the state (plain JSON) every `every` events, and load from there. Raise
   * `schema` whenever the state's shape changes: snapshots of another schema are ignored.
   */
  snapshots?: Readonly<{ every: number; schema: number }>;
}>;

/** Exhaustiveness guard for the `default` branch of a switch over a union. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
