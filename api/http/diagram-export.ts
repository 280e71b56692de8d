// GET /v1/diagrams/:id/export: a DOT diagram rendered to SVG on the server (Graphviz in WebAssembly), cached by the
// source's sha256. Mermaid needs a browser to render, so its export is 501.
import { z } from 'zod';
import { SvgExports } from '../../application/diagrams/svg-export.js';
import type { HttpDependencies } from './dependencies.js';
import { diagramIdOf, QueryVersion, READERS, versionsOf, visibleDiagram } from './diagrams.js';
import { HttpProblem } from './problem.js';
import { CONSISTENCY_HEADER } from './read-database.js';
import { MIN_POSITION_HEADER } from './read-your-writes.js';
import { route } from './routes.js';

const ExportQuery = z.strictObject({ format: z.enum(['svg']), version: QueryVersion.optional() });

/**
 * Graphviz turns DOT `URL`/`href` attributes into links of the SVG: served with this policy, an exported diagram
 * runs no script, loads nothing and is sandboxed even when opened directly.
 */
const SVG_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export const diagramExportRoutes = (deps: HttpDependencies) => {
  // One cache of SVG renderings per process, keyed by the source's sha256 (Redis when configured, else memory).
  const exports = new SvgExports(deps.diagramRenderer, deps.cache, { onCacheError: (error) => deps.logger.warn({ err: error }, 'the SVG export cache failed; rendering without it') });

  return [
    route({
      method: 'get',
      path: '/v1/diagrams/:id/export',
      tag: 'diagrams',
      summary: 'A DOT diagram rendered to SVG by Graphviz (WebAssembly) on the server, its latest version or `version`; cached by the source\'s sha256',
      access: READERS,
      query: ExportQuery,
      headers: [MIN_POSITION_HEADER, CONSISTENCY_HEADER],
      responses: {
        200: 'image/svg+xml, X-Chorus-Cache: hit | miss, a Content-Security-Policy that sandboxes it',
        400: 'format is not svg, or version not a positive integer',
        404: 'Unknown diagram (DIAGRAM.NOT_FOUND) or version (DIAGRAM.VERSION_NOT_FOUND)',
        422: 'Graphviz did not finish in time (DIAGRAM.TOO_COMPLEX), or could not render it (DIAGRAM.UNRENDERABLE)',
        501: 'A Mermaid diagram: not rendered on the server (DIAGRAM.EXPORT_UNSUPPORTED)',
        503: 'The renderer is busy (DIAGRAM.RENDERER_BUSY), with Retry-After; or the read model is behind',
      },
      async handle(ctx, { params, query }) {
        const id = diagramIdOf(params.id);
        const { diagram, db } = await visibleDiagram(ctx, deps, id);
        const version = query.version ?? diagram.latestVersion;
        if (diagram.format !== 'dot') {
          throw new HttpProblem(501, 'DIAGRAM.EXPORT_UNSUPPORTED', 'Mermaid diagrams are not rendered on the server (that needs a browser): render the source with Mermaid in the client');
        }
        const source = version === diagram.latestVersion ? diagram.source : (await versionsOf(db, diagram, [version])).get(version)!.source;
        const outcome = await exports.svgOf(source);
        switch (outcome.status) {
          case 'ok':
            break;
          case 'invalid':
            throw new HttpProblem(422, 'DIAGRAM.UNRENDERABLE', `Graphviz could not render version ${version}: ${outcome.problems.map(({ message }) => message).join('; ')}`);
          case 'too_complex':
            throw new HttpProblem(422, 'DIAGRAM.TOO_COMPLEX', outcome.message);
          case 'busy':
            throw new HttpProblem(503, 'DIAGRAM.RENDERER_BUSY', outcome.message, { 'Retry-After': '1' });
        }
        ctx.set('X-Chorus-Cache', outcome.cache ?? 'miss');
        ctx.set('Content-Security-Policy', SVG_CONTENT_SECURITY_POLICY);
        ctx.set('X-Content-Type-Options', 'nosniff');
        ctx.type = 'image/svg+xml';
        ctx.body = outcome.value;
      },
    }),
  ];
};
