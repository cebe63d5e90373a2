import { DEFAULT_DB, openGalleryDb, redactDb } from '../enroll/gallery-db.js';
import { readGalleryFile, writeGalleryFile } from '../gallery/gallery-file.js';
import { parseCommandLine, UsageError, type CommandContext } from './cli-support.js';

export const galleryHelp = `Usage: facerec gallery ACTION [options]

Looks after the gallery of enrolled persons (a SQLite file, --db, default ${DEFAULT_DB}).

Actions:
  list                      persons with their face counts, and the gallery's model
  export FILE.json          writes every person and face (embeddings included) to a
                            portable JSON file, for backups and moves
  import FILE.json          adds the persons and faces of an export (photos already
                            enrolled, by content hash, are skipped)
  rename NAME NEW_NAME      renames a person
  merge FROM INTO           moves every face of FROM to INTO and removes FROM
  delete NAME               removes a person and their faces (needs --yes)

Options:
  --db PATH     gallery database (default ${DEFAULT_DB})
  --json        list as JSON
  --yes         confirm a delete
  -h, --help    show this help

Examples:
  facerec gallery list
  facerec gallery export backup.json --db office.db
  facerec gallery import backup.json --db new-office.db
  facerec gallery rename "J Smith" "Jane Smith"
`;

const options = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ARITY: Record<string, number> = { list: 0, export: 1, import: 1, rename: 2, merge: 2, delete: 1 };

export async function runGallery(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('gallery', argv, options);
  if (values.help || positionals.length === 0) {
    ctx.stdout.write(galleryHelp);
    return 0;
  }
  const [action, ...args] = positionals as [string, ...string[]];
  const arity = ARITY[action];
  if (arity === undefined) throw new UsageError(`facerec gallery: unknown action "${action}"; expected one of ${Object.keys(ARITY).join(', ')}`);
  if (args.length !== arity) throw new UsageError(`facerec gallery ${action}: expects ${arity} argument${arity === 1 ? '' : 's'}, got ${args.length} (see facerec gallery --help)`);
  if (action === 'delete' && !values.yes) throw new UsageError(`facerec gallery delete: add --yes to confirm removing "${args[0]}" and all their faces`);
  const db = values.db ?? DEFAULT_DB;
  const store = await openGalleryDb(db, { create: action === 'import', writable: action !== 'list' && action !== 'export' });
  try {
    switch (action) {
      case 'list': {
        const persons = await store.listPersons();
        const modelId = await store.modelId();
        if (values.json) ctx.stdout.write(`${JSON.stringify({ db: redactDb(db), modelId, persons }, null, 2)}\n`);
        else {
          ctx.stdout.write(`${redactDb(db)}: ${persons.length} persons, ${persons.reduce((s, p) => s + p.faceCount, 0)} faces, model ${modelId ?? '(none yet)'}\n`);
          for (const p of persons) ctx.stdout.write(`${String(p.faceCount).padStart(5)}  ${p.name}\n`);
        }
        return 0;
      }
      case 'export': {
        const data = await store.exportGallery();
        await writeGalleryFile(args[0]!, data);
        const faces = data.persons.reduce((s, p) => s + p.faces.length, 0);
        ctx.stdout.write(`exported ${data.persons.length} persons and ${faces} faces from ${redactDb(db)} to ${args[0]}\n`);
        return 0;
      }
      case 'import': {
        const data = await readGalleryFile(args[0]!);
        const r = await store.importGallery(data);
        ctx.stdout.write(`imported ${r.faces} faces of ${r.persons} persons into ${redactDb(db)} (${r.duplicates} already there, skipped)\n`);
        return 0;
      }
      case 'rename': {
        const p = await store.renamePerson(args[0]!, args[1]!);
        ctx.stdout.write(`renamed "${args[0]}" to "${p.name}" (${p.faceCount} faces)\n`);
        return 0;
      }
      case 'merge': {
        const p = await store.mergePersons(args[0]!, args[1]!);
        ctx.stdout.write(`merged "${args[0]}" into "${p.name}", now ${p.faceCount} faces\n`);
        return 0;
      }
      default: {
        await store.deletePerson(args[0]!);
        ctx.stdout.write(`deleted "${args[0]}" and their faces from ${redactDb(db)}\n`);
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}
