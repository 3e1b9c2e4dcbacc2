import type { DialectConfig, Template } from '../contracts/generated/config/dialect.js';
import { compileTemplate, TemplateError } from './command-template.js';
import { crmSamples, sampleContext } from './crm-samples.js';
import { kindOf } from './check-commands.js';
import { token, type DialectFinding } from './dialect-finding.js';

/** One reason the MES command schema refuses a command (as the caller's validator explains it). */
export interface CommandProblem {
  /** JSON Pointer into the command. */
  pointer: string;
  message: string;
  fix?: string;
}

/** Validates a command against the dialect's command schema (Ajv, in the caller: src/mapping does no I/O). */
export type ValidateCommand = (message: unknown) => readonly CommandProblem[];

/**
 * Builds every sample CRM command's MES command with the dialect's templates and validates it against
 * the command schema: a cheap end to end check of what the static checks cannot see (formats,
 * patterns, fields a template leaves out when the CRM does). Each problem is placed at the template
 * field that writes the value.
 */
export function checkSamples(
  commands: DialectConfig['commands'],
  validate: ValidateCommand,
  file: string,
): DialectFinding[] {
  const findings: DialectFinding[] = [];
  for (const { name, command } of crmSamples) {
    const where = `/commands/${token(command.type)}/message`;
    const template = commands[command.type].message;
    let built: unknown;
    try {
      built = compileTemplate(template, where.slice(1))(command, sampleContext(command.type));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const [at = where.slice(1), ...rest] = error.message.split(': ');
      const [problem, fix = 'make the template handle this value'] = rest.join(': ').split('; fix: ');
      findings.push({
        code: 'sample_invalid',
        severity: 'warning',
        path: `/${at}`,
        message: `the ${name} sample cannot be built: ${problem}`,
        fix,
      });
      continue;
    }
    for (const problem of validate(built)) {
      findings.push({
        code: 'sample_invalid',
        severity: 'warning',
        path: templatePlace(template, problem.pointer, where),
        message: `the command built from the ${name} sample is refused by ${file}: ${problem.pointer || '/'}: ${problem.message}`,
        fix: problem.fix ?? 'make the template write what the schema wants here',
      });
    }
  }
  return findings;
}

/** The template field that writes the command's value at `pointer` (the nearest one that exists). */
export function templatePlace(template: Template, pointer: string, where: string): string {
  let node = template;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const kind = kindOf(node);
    if (kind.kind === 'fields' && Object.hasOwn(kind.fields, key)) {
      node = kind.fields[key]!;
      where += `/${token(key)}`;
    } else if (kind.kind === 'each' && /^\d+$/.test(key)) {
      node = kind.item;
      where += '/item';
    } else if (kind.kind === 'list' && kind.items[Number(key)] !== undefined && /^\d+$/.test(key)) {
      node = kind.items[Number(key)]!;
      where += `/${key}`;
    } else break;
  }
  return where;
}
