import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

// Everything about an MES lives in its dialect (config/mes/<dialect>/). This test collects what the
// reference dialect names — its states, command routing keys and message types, and the fields of
// its event and command schemas — and fails on any of them written in src/.
const root = resolve(import.meta.dirname, '../..');
const dialectDir = join(root, 'config/mes/reference');
const dialect = parse(readFileSync(join(dialectDir, 'dialect.yaml'), 'utf8'));

/** Field names any message format has: they say nothing about one MES (messageType: AMQP's, as AsyncAPI's binding names it). */
const generic = new Set([
  'header',
  'body',
  'messageId',
  'messageType',
  'createdAt',
  'state',
  'text',
  'code',
  'order',
  'error',
  'priority',
  'correlationId',
  'eventId',
  'type',
  'id',
  'name',
  'description',
  'sender',
  'ERROR',
  'SET',
]);

function schemaWords(schema: unknown, words = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) schemaWords(item, words);
  else if (schema && typeof schema === 'object') {
    const node = schema as Record<string, unknown>;
    if (node.properties && typeof node.properties === 'object')
      for (const key of Object.keys(node.properties)) words.add(key);
    for (const value of [
      ...(Array.isArray(node.enum) ? node.enum : []),
      ...(node.const !== undefined ? [node.const] : []),
    ])
      if (typeof value === 'string') words.add(value);
    for (const value of Object.values(node)) schemaWords(value, words);
  }
  return words;
}

const schemas = ['event.schema.json', 'command.schema.json'].map((file) =>
  JSON.parse(readFileSync(join(dialectDir, file), 'utf8')),
);
const routingKeys = Object.values(dialect.commands).flatMap((command) =>
  typeof command === 'object' && command && 'routingKey' in command
    ? [String((command as { routingKey: unknown }).routingKey)]
    : [],
);
// Codes of one or two letters (units such as M or KG) are too short to tell apart from code.
const forbidden = [
  ...new Set([
    ...Object.keys(dialect.states),
    ...routingKeys,
    ...schemas.flatMap((schema) => [...schemaWords(schema)]),
  ]),
].filter((word) => !generic.has(word) && word.length > 2);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

t.test('the reference dialect names enough to make the check meaningful', async (t) => {
  t.ok(forbidden.length > 30, `${forbidden.length} names: ${forbidden.join(', ')}`);
  for (const word of ['externalRef', 'CUTTING', 'CREATE_ORDER', 'positions', 'uom', 'ORDER_STATE_CHANGED'])
    t.ok(forbidden.includes(word), word);
});

t.test('no file under src/ names a reference-MES field, state or message type', async (t) => {
  const pattern = new RegExp(
    `\\b(${forbidden.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`,
    'g',
  );
  const found = sourceFiles(join(root, 'src')).flatMap((file) => {
    const lines = readFileSync(file, 'utf8').split('\n');
    return lines.flatMap((line, i) =>
      [...line.matchAll(pattern)].map((m) => `${relative(root, file)}:${i + 1}: ${m[1]}`),
    );
  });
  t.same(found, [], 'MES names belong in the dialect');
});
