import { isPostgresUrl, openGalleryDb, redactDb } from '../enroll/gallery-db.js';
import { migrateGallery, type GallerySummary } from '../gallery/gallery-migrate.js';
import { parseCommandLine, UsageError, type CommandContext } from './cli-support.js';

export const migrateHelp = `Usage: facerec migrate --from DB --to DB [--append]

Copies a whole gallery from one database to another: a SQLite file to a
PostgreSQL server shared by several machines, or back. Persons, faces (with
thumbnails), unknown faces with their clusters and the calibrated tolerance are
copied; the source is only read. Prints the persons and faces on both sides and a
checksum of every embedding: equal checksums mean nothing was lost.

Options:
  --from DB     source: a SQLite file or postgres://user:password@host:5432/db
  --to DB       target: the same forms; created if missing (SQLite) or migrated
                (PostgreSQL). Refused when it already holds faces, unless --append
  --append      merge into a non-empty target (photos it already has are skipped)
  --json        print the result as JSON
  -h, --help    show this help

Examples:
  facerec migrate --from facerec.db --to postgres://facerec:secret@db.lan/facerec
  facerec migrate --from postgres://facerec@db.lan/facerec --to backup.db
  facerec migrate --from branch.db --to postgres://facerec@db.lan/facerec --append
`;

const options = {
  from: { type: 'string' },
  to: { type: 'string' },
  append: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const line = (label: string, db: string, s: GallerySummary) =>
  `${label} ${redactDb(db)}: ${s.persons} persons, ${s.faces} faces, ${s.unknownFaces} unknown faces, embeddings sha256 ${s.checksum}\n`;

export async function runMigrate(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('migrate', argv, options);
  if (values.help) {
    ctx.stdout.write(migrateHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`facerec migrate: unexpected argument "${positionals[0]}"; name the databases with --from and --to (see facerec migrate --help)`);
  if (!values.from) throw new UsageError('facerec migrate: --from DB is required (a SQLite file or a postgres:// URL)');
  if (!values.to) throw new UsageError('facerec migrate: --to DB is required (a SQLite file or a postgres:// URL)');
  if (values.from === values.to) throw new UsageError(`facerec migrate: --from and --to name the same database "${redactDb(values.from)}"`);
  const from = await openGalleryDb(values.from, { create: false });
  try {
    const to = await openGalleryDb(values.to, { create: true });
    try {
      ctx.stderr.write(`facerec migrate: copying ${redactDb(values.from)} → ${redactDb(values.to)}${isPostgresUrl(values.to) ? ' (one transaction)' : ''}\n`);
      const r = await migrateGallery(from, to, { append: values.append ?? false, targetName: `"${redactDb(values.to)}"` });
      if (values.json) {
        ctx.stdout.write(`${JSON.stringify({ from: redactDb(values.from), to: redactDb(values.to), ...r }, null, 2)}\n`);
      } else {
        ctx.stdout.write(line('from', values.from, r.source));
        ctx.stdout.write(line('to  ', values.to, r.target));
        ctx.stdout.write(`copied ${r.added.faces} faces of ${r.added.persons} persons and ${r.added.unknownFaces} unknown faces; ${r.added.duplicates} already there\n`);
      }
      // Without --append the target started empty, so both sides must now be identical.
      if (!values.append && r.source.checksum !== r.target.checksum) {
        ctx.stderr.write('facerec migrate: the checksums differ: the copy is incomplete (see the counts above)\n');
        return 1;
      }
      return 0;
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}
