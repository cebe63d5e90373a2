import { readFileSync } from 'node:fs';
import { runDetect, detectHelp } from './detect-command.js';
import { runModels, modelsHelp } from './models-command.js';
import { runEval, evalHelp } from './eval-command.js';
import { runGallery, galleryHelp } from './gallery-command.js';
import { runMigrate, migrateHelp } from './migrate-command.js';
import { runEnroll, enrollHelp } from './enroll-command.js';
import { runIdentify, identifyHelp } from './identify-command.js';
import { runServe, serveHelp } from './serve-command.js';
import { runVideo, videoHelp } from './video-command.js';
import { runCalibrate, calibrateHelp } from './calibrate-command.js';
import { runCluster, clusterHelp } from './cluster-command.js';
import { runEnqueue, enqueueHelp } from './enqueue-command.js';
import { runWorker, workerHelp } from './worker-command.js';
import { runJobs, jobsHelp } from './jobs-command.js';
import { errorMessage, UsageError, type CommandContext } from './cli-support.js';

type Command = { run: (argv: string[], ctx: CommandContext) => Promise<number>; help: string; summary: string };

const commands: Record<string, Command> = {
  detect: { run: runDetect, help: detectHelp, summary: 'find faces: file,top,right,bottom,left per face (or --json, --annotate)' },
  enroll: { run: runEnroll, help: enrollHelp, summary: 'enrol known persons (a folder per person, or name.jpg photos) into a gallery database' },
  identify: { run: runIdentify, help: identifyHelp, summary: 'name the faces in photos: file,name per face, against the gallery or --known DIR' },
  eval: { run: runEval, help: evalHelp, summary: 'measure verification accuracy with the LFW pairs protocol (ROC, AUC, TAR@FAR)' },
  gallery: { run: runGallery, help: galleryHelp, summary: 'list, export, import, rename, merge or delete persons of the gallery' },
  migrate: { run: runMigrate, help: migrateHelp, summary: 'copy a whole gallery between a SQLite file and PostgreSQL (counts and checksums)' },
  calibrate: { run: runCalibrate, help: calibrateHelp, summary: 'choose the match tolerance for a target false accept rate from the gallery itself' },
  cluster: { run: runCluster, help: clusterHelp, summary: 'group faces of people not in the gallery (a photo folder, or the stored unknown faces)' },
  video: { run: runVideo, help: videoHelp, summary: 'track and name the faces of a video file, stream or camera; annotated MP4, events' },
  serve: { run: runServe, help: serveHelp, summary: 'web app and REST API: enrol, identify, live camera, gallery (http://127.0.0.1:8080/)' },
  enqueue: { run: runEnqueue, help: enqueueHelp, summary: 'put a folder of photos on the Redis job queue (--job enroll|identify) for workers' },
  worker: { run: runWorker, help: workerHelp, summary: 'process queued photos with all local cores (any number of machines)' },
  jobs: { run: runJobs, help: jobsHelp, summary: 'progress of queued jobs: done, failed (with errors), rate, ETA' },
  models: { run: runModels, help: modelsHelp, summary: 'convert the npm-shipped weights to ONNX now and show the model cache' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const mainHelp = () => `Usage: facerec COMMAND [options]

Face recognition on ONNX Runtime: detect faces, 68 landmarks, 128-d encodings, matching.

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run "facerec COMMAND --help" for a command's options and examples.

Example:
  facerec detect node_modules/@vladmandic/face-api/demo/sample1.jpg
`;

export async function main(argv: string[], ctx: CommandContext = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' && rest[0] ? commands[rest[0]] : undefined;
    ctx.stdout.write(topic ? topic.help : mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    ctx.stderr.write(`facerec: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}. See facerec --help.\n`);
    return 2;
  }
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    ctx.stderr.write(`${errorMessage(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
