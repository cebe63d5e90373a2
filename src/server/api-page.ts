/** GET /api: a plain, server-rendered HTML list of the routes of the OpenAPI document (no scripts, no CDN). */

interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Record<string, unknown> }[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, { description?: string }>;
}

export interface OpenApiDoc {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** `code` spans for backticked text, everything else escaped. */
const text = (s: unknown) => esc(s).replace(/`([^`]*)`/g, '<code>$1</code>');

function schemaSummary(schema: Record<string, unknown> | undefined): string {
  if (!schema) return '';
  const parts: string[] = [];
  if (schema.type) parts.push(String(schema.type));
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? '…'}–${schema.maximum ?? '…'}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

export function apiPageHtml(doc: OpenApiDoc): string {
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? [])
        .filter((p) => p.in !== 'header')
        .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(schemaSummary(p.schema))}${p.description ? ` — ${text(p.description)}` : ''}</li>`)
        .join('');
      const body = op.requestBody?.content ? Object.keys(op.requestBody.content).map((t) => `<code>${esc(t)}</code>`).join(', ') : '';
      const responses = Object.keys(op.responses ?? {}).map((c) => `<code>${esc(c)}</code>`).join(' ');
      rows.push(`<section id="${esc(`${method}-${path}`)}">
<h2><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
<p>${text(op.summary)}</p>${op.description ? `\n<p class="d">${text(op.description)}</p>` : ''}
${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ''}${body ? `<h3>Body</h3><p>${body}</p>` : ''}${responses ? `<h3>Responses</h3><p>${responses}</p>` : ''}
</section>`);
    }
  }
  const title = esc(doc.info?.title ?? 'API');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#111}
h1{margin-bottom:.2rem} h2{font-size:1.05rem;margin:0 0 .3rem} h3{font-size:.9rem;margin:.5rem 0 .1rem;color:#444}
section{border-top:1px solid #ddd;padding:.8rem 0} .m{display:inline-block;min-width:4.2rem;font-weight:700;color:#0a58ca}
code{background:#f3f4f6;padding:0 .25rem;border-radius:3px} .d{color:#333} ul{margin:.2rem 0}
</style></head><body>
<h1>${title} <small>v${esc(doc.info?.version)}</small></h1>
<p>${text(doc.info?.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3). Live WebSocket protocol: <code>GET /api/v1/live</code>, see <code>src/server/live-protocol.md</code>.</p>
${rows.join('\n')}
</body></html>
`;
}
