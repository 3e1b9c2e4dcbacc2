import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { checkCommandTemplates, type CommandType } from './check-commands.js';
import { checkEventPaths } from './check-events.js';
import { checkSamples, type ValidateCommand } from './check-samples.js';
import type { DialectFinding } from './dialect-finding.js';
import type { SchemaRegistry } from './schema-walk.js';

export interface DialectSchemas {
  /** The dialect's event and command schemas (parsed JSON) and their files as the dialect names them. */
  event: unknown;
  command: unknown;
  /** The CRM's command schemas, one per type. */
  crm: Readonly<Record<CommandType, unknown>>;
  /** Every schema a $ref may name by its $id (the contracts). */
  registry?: SchemaRegistry;
  /** The command schema as a validator (Ajv in the caller), for the sample commands. */
  validateCommand: ValidateCommand;
}

/**
 * Checks a dialect against the schemas it names, before it runs: every event path exists in the
 * event schema with a value the gateway can read, every command template fits the command schema
 * and reads fields the CRM sends, and the commands built from sample CRM commands are valid. A
 * sample's problem at a template field the static checks already named is not repeated.
 */
export function checkDialect(dialect: DialectConfig, schemas: DialectSchemas): DialectFinding[] {
  const registry = schemas.registry ?? {};
  const found = [
    ...checkEventPaths(dialect, { schema: schemas.event, file: dialect.events.schema, registry }),
    ...checkCommandTemplates(dialect.commands, {
      command: schemas.command,
      file: dialect.commands.schema,
      crm: schemas.crm,
      registry,
    }),
  ];
  // A text that may be too long is the one static finding a sample (short texts) does not run into.
  const seen = new Set(found.filter((f) => f.code !== 'too_long').map((f) => f.path));
  const samples = checkSamples(dialect.commands, schemas.validateCommand, dialect.commands.schema);
  const unique = new Map<string, DialectFinding>();
  for (const finding of samples) {
    const key = `${finding.path} ${finding.message.replace(/^the command built from the .* sample/, '')}`;
    if (
      ![...seen].some(
        (path) => finding.path === path || finding.path.startsWith(`${path}/`) || path.startsWith(`${finding.path}/`),
      ) &&
      !unique.has(key)
    )
      unique.set(key, finding);
  }
  return [...found, ...unique.values()];
}

/** The findings that leave the gateway unable to work with the MES: it must not start on them. */
export function dialectErrors(findings: readonly DialectFinding[]): DialectFinding[] {
  return findings.filter((f) => f.severity === 'error');
}
