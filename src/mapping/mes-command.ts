import type { CrmCommand } from '../contracts/generated/crm/command.js';
import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { compileTemplate, TemplateError } from './command-template.js';

/** An MES command built from a CRM command by the dialect, or why it could not be built. */
export type BuiltCommand = { ok: true; routingKey: string; message: unknown } | { ok: false; error: string };

/** Checks a built command against the dialect's command schema: problems as one line, none when valid. */
export type CommandCheck = (message: unknown) => string | undefined;

/** Compiles the dialect's command templates once; every command they build is checked against its schema. */
export function mesCommandWriter(
  commands: DialectConfig['commands'],
  check: CommandCheck,
): (command: CrmCommand, messageId: string, now: number) => BuiltCommand {
  const writers = Object.fromEntries(
    (['order.create', 'order.cancel', 'order.update'] as const).map((type) => {
      const template = commands[type];
      return [
        type,
        {
          routingKey: compileTemplate(template.routingKey, `commands/${type}/routingKey`),
          message: compileTemplate(template.message, `commands/${type}/message`),
        },
      ];
    }),
  );
  return (command, messageId, now) => {
    const writer = writers[command.type]!;
    const context = { messageId, now, commandType: command.type };
    try {
      const routingKey = writer.routingKey(command, context);
      if (typeof routingKey !== 'string' || routingKey.length === 0 || routingKey.length > 255)
        return {
          ok: false,
          error: `commands/${command.type}/routingKey: built ${JSON.stringify(routingKey) ?? 'nothing'}, not a routing key (fix: a text of 1 to 255 characters)`,
        };
      const message = writer.message(command, context);
      const problems = check(message);
      if (problems)
        return {
          ok: false,
          error: `the MES command built by commands/${command.type} does not follow the dialect's command schema: ${problems}`,
        };
      return { ok: true, routingKey, message };
    } catch (error) {
      if (error instanceof TemplateError) return { ok: false, error: error.message };
      throw error;
    }
  };
}
