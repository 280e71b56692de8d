// The port behind diagram validation and SVG export: the adapter (infrastructure/diagrams/graphviz-renderer.ts)
// runs Graphviz compiled to WebAssembly off the event loop.

/** Something wrong with a source, at its line when the parser names one (lines count from 1). */
export type SourceProblem = Readonly<{ line: number | null; message: string }>;

/**
 * - `invalid`: the source does not parse (or has no graph);
 * - `too_complex`: it parses but its layout did not finish within the renderer's time budget;
 * - `busy`: too many renderings are queued already; try again shortly.
 */
export type RenderOutcome<T> =
  | Readonly<{ status: 'ok'; value: T }>
  | Readonly<{ status: 'invalid'; problems: readonly SourceProblem[] }>
  | Readonly<{ status: 'too_complex'; message: string }>
  | Readonly<{ status: 'busy'; message: string }>;

export interface DiagramRenderer {
  /** Parses a DOT source without laying it out: `ok` with the warnings, or why it does not parse. */
  checkDot(source: string): Promise<RenderOutcome<readonly SourceProblem[]>>;
  /** Lays a DOT source out and renders it as an SVG document. */
  renderDotSvg(source: string): Promise<RenderOutcome<string>>;
  /** Ends the renderer's threads (shutdown). */
  close(): Promise<void>;
}
