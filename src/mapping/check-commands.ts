import type { DialectConfig, FromValue, Template } from '../contracts/generated/config/dialect.js';
import { allowedList, closest, token, type DialectFinding } from './dialect-finding.js';
import {
  allowsType,
  anyItem,
  propertyNamesAt,
  requiredAt,
  rootPlace,
  stepPlace,
  typesAt,
  walkPointer,
  type JsonType,
  type Place,
  type SchemaRegistry,
} from './schema-walk.js';
import { article, doesNotFit, maxLengthAt, valuesAt } from './schema-values.js';
import { sampleContext } from './crm-samples.js';
import { formatDate, textPlaceholders } from './command-template.js';

export type CommandType = 'order.create' | 'order.cancel' | 'order.update';
export const commandTypes: readonly CommandType[] = ['order.create', 'order.cancel', 'order.update'];

export interface CommandSchemas {
  /** The MES command schema and its file as the dialect names it. */
  command: unknown;
  file: string;
  /** The CRM's command schemas, one per type. */
  crm: Readonly<Record<CommandType, unknown>>;
  registry?: SchemaRegistry;
}

interface Walk {
  type: CommandType;
  /** What the built value must fit, for messages: "command.schema.json at /x", "the routing key". */
  target: (at: string) => string;
  findings: DialectFinding[];
}

/** The CRM command (or inside `each` its element) a template reads with `from`. */
interface Source {
  place: Place;
  /** The element's pointer inside `each` (e.g. /lines/*), '' at the top, for messages. */
  at: string;
  /** Whether every command of the type has it (inside `each`: the CRM requires the list). */
  always: boolean;
}

const routingKeySchema = { type: 'string', minLength: 1, maxLength: 255 };

/**
 * Walks each command template together with the MES command schema: constants must fit, fields must
 * be allowed, required fields written; `from` and `each` pointers must exist in the CRM command of
 * that type; table values and read values must fit where they are written.
 */
export function checkCommandTemplates(commands: DialectConfig['commands'], schemas: CommandSchemas): DialectFinding[] {
  const findings: DialectFinding[] = [];
  for (const type of commandTypes) {
    const { routingKey, message } = commands[type];
    const source = { place: rootPlace(schemas.crm[type], schemas.registry), at: '', always: true };
    const base = `/commands/${token(type)}`;
    walk(routingKey, `${base}/routingKey`, rootPlace(routingKeySchema), '', source, true, {
      type,
      target: () => 'a routing key (text of 1 to 255 characters)',
      findings,
    });
    walk(message, `${base}/message`, rootPlace(schemas.command, schemas.registry), '', source, true, {
      type,
      target: (at) => `${schemas.file} at ${at || '/'}`,
      findings,
    });
  }
  return findings;
}

type Kind =
  | { kind: 'constant'; value: unknown }
  | { kind: 'list'; items: Template[] }
  | { kind: 'gateway'; name: 'messageId' | 'now' | 'nowEpochMillis' | 'nowEpochSeconds' | 'commandType' }
  | { kind: 'index'; start: number }
  | { kind: 'each'; each: string; item: Template }
  | { kind: 'from'; spec: FromValue }
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Record<string, Template> };

/** What a template node is, decided as compileTemplate decides it. */
export function kindOf(node: Template): Kind {
  if (node === null || typeof node !== 'object') return { kind: 'constant', value: node };
  if (Array.isArray(node)) return { kind: 'list', items: node };
  if ('const' in node) return { kind: 'constant', value: node.const };
  if ('gateway' in node) return { kind: 'gateway', name: node.gateway as Extract<Kind, { kind: 'gateway' }>['name'] };
  if ('index' in node && node.index !== null && typeof node.index === 'object')
    return { kind: 'index', start: (node.index as { start?: number }).start ?? 1 };
  if ('each' in node && typeof node.each === 'string' && 'item' in node)
    return { kind: 'each', each: node.each, item: node.item as Template };
  if ('from' in node && typeof node.from === 'string') return { kind: 'from', spec: node as FromValue };
  if ('fill' in node && typeof node.fill === 'string') return { kind: 'text', text: node.fill };
  if ('fields' in node && Object.keys(node).length === 1 && node.fields !== null && typeof node.fields === 'object')
    return { kind: 'fields', fields: node.fields as Record<string, Template> };
  return { kind: 'fields', fields: node as Record<string, Template> };
}

/** Whether the node builds a value whenever its parent is built (a `from` of a field the CRM may leave out does not). */
function alwaysBuilt(node: Template, source: Source): boolean {
  if (!source.always) return false;
  const kind = kindOf(node);
  if (kind.kind === 'each') return walkRequired(source, kind.each);
  if (kind.kind === 'from') return kind.spec.default !== undefined || walkRequired(source, kind.spec.from);
  if (kind.kind === 'text') return textPlaceholders(kind.text).every((pointer) => walkRequired(source, pointer));
  return true;
}

function walkRequired(source: Source, pointer: string): boolean {
  const walked = walkPointer(source.place, pointer);
  return walked.ok && walked.required;
}

const open = rootPlace(true);

function walk(
  node: Template,
  where: string,
  target: Place,
  at: string,
  source: Source,
  needed: boolean,
  w: Walk,
): void {
  const kind = kindOf(node);
  const types = typesAt(target);
  const severity = alwaysBuilt(node, source) ? 'error' : 'warning';
  const add = (finding: Omit<DialectFinding, 'severity'>, level: DialectFinding['severity'] = severity): void => {
    w.findings.push({ ...finding, severity: level });
  };
  const wrongType = (builds: string, fix: string) =>
    add({
      code: 'incompatible_type',
      path: where,
      message: `builds ${builds}, where ${w.target(at)} must be ${(types ?? []).map(article).join(' or ')}`,
      fix,
    });
  switch (kind.kind) {
    case 'constant':
    case 'index':
    case 'gateway': {
      const value =
        kind.kind === 'constant' ? kind.value : kind.kind === 'index' ? kind.start : gatewayValue(kind.name, w.type);
      const problem = doesNotFit(target, value);
      if (problem)
        add({
          code: 'invalid_value',
          path: where,
          message: `${describeBuilt(kind, value)} does not fit ${w.target(at)}: it ${problem}`,
          fix: constantFix(kind, value, target),
        });
      return;
    }
    case 'list':
      if (types && !types.includes('array')) return wrongType('an array', 'write a single value here');
      for (const [i, item] of kind.items.entries())
        walk(item, `${where}/${i}`, stepPlace(target, String(i)) ?? open, `${at}/${i}`, source, false, w);
      return;
    case 'fields': {
      if (types && !types.includes('object'))
        return wrongType('an object of fields', 'write a single value here, or { from: … }');
      const allowed = propertyNamesAt(target);
      const required = requiredAt(target);
      for (const [key, child] of Object.entries(kind.fields)) {
        const place = stepPlace(target, key);
        const near = closest(
          key,
          allowed.filter((name) => !Object.hasOwn(kind.fields, name)),
        );
        if (!place)
          add(
            {
              code: 'unknown_field',
              anchor: 'key',
              path: `${where}/${token(key)}`,
              message: `${w.target(at)} has no field ${key}${allowedList(allowed)}: commands with it are refused`,
              fix: near ? `did you mean ${near}?` : 'remove it, or write it under the object that has it',
            },
            alwaysBuilt(child, source) ? 'error' : 'warning',
          );
        else walk(child, `${where}/${token(key)}`, place, `${at}/${token(key)}`, source, required.includes(key), w);
      }
      for (const key of required.filter((name) => !Object.hasOwn(kind.fields, name))) {
        const refused = source.always
          ? `every ${w.type} command`
          : `every ${w.type} command with ${source.at.slice(0, -2)}`;
        add(
          {
            code: 'missing_field',
            path: where,
            message: `${w.target(at)} requires ${key}, which the template never writes: ${refused} would be refused`,
            fix: `add ${key}: a constant, { from: /… } (a field of the CRM ${w.type}) or { gateway: … }`,
          },
          source.always ? 'error' : 'warning',
        );
      }
      return;
    }
    case 'each': {
      if (types && !types.includes('array'))
        return wrongType('an array (each)', 'read a single field with { from: … } instead');
      const list = walkPointer(source.place, kind.each);
      if (!list.ok) return unknownFrom(`${where}/each`, list, source, kind.each, needed, w);
      const listTypes = typesAt(list.place);
      if (listTypes && !listTypes.includes('array')) {
        add({
          code: 'incompatible_type',
          path: `${where}/each`,
          message: `${source.at}${kind.each} is ${listTypes.map(article).join(' or ')} in the CRM ${w.type}, not a list`,
          fix: 'point each at a list of the CRM command (e.g. its lines)',
        });
        return;
      }
      const element = {
        place: stepPlace(list.place, anyItem) ?? open,
        at: `${source.at}${kind.each}/*`,
        always: alwaysBuilt(node, source),
      };
      walk(kind.item, `${where}/item`, stepPlace(target, anyItem) ?? open, `${at}/*`, element, false, w);
      return;
    }
    case 'from':
      return checkFrom(kind.spec, where, target, at, source, needed, severity, w);
    case 'text': {
      if (types && !types.includes('string')) return wrongType('text', 'read a single field with { from: … } instead');
      for (const pointer of textPlaceholders(kind.text)) {
        const walked = walkPointer(source.place, pointer);
        if (!walked.ok) unknownFrom(`${where}/fill`, walked, source, pointer, needed, w);
      }
      return;
    }
  }
}

const gatewayNames = ['messageId', 'now', 'nowEpochMillis', 'nowEpochSeconds', 'commandType'] as const;

/** A representative of what the gateway supplies (the sample time; an id as the gateway derives them). */
function gatewayValue(name: Extract<Kind, { kind: 'gateway' }>['name'], type: CommandType): unknown {
  const { messageId, now } = sampleContext(type);
  return {
    messageId,
    now: new Date(now).toISOString(),
    nowEpochMillis: now,
    nowEpochSeconds: Math.floor(now / 1000),
    commandType: type,
  }[name];
}

function describeBuilt(kind: Kind, value: unknown): string {
  if (kind.kind === 'gateway') return `{ gateway: ${kind.name} } (e.g. ${JSON.stringify(value)})`;
  if (kind.kind === 'index') return `{ index } (from ${JSON.stringify(value)})`;
  return JSON.stringify(value);
}

function constantFix(kind: Kind, value: unknown, target: Place): string {
  const types = typesAt(target);
  const values = valuesAt(target);
  if (
    kind.kind === 'constant' &&
    (typeof value === 'number' || typeof value === 'boolean') &&
    types?.length === 1 &&
    types[0] === 'string'
  )
    return `quote it: "${String(value)}"`;
  if (values?.length) return `use one of: ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (kind.kind === 'gateway') {
    const fitting = gatewayNames.filter((name) => doesNotFit(target, gatewayValue(name, 'order.create')) === undefined);
    return fitting.length
      ? `use ${fitting.map((name) => `{ gateway: ${name} }`).join(' or ')}`
      : 'write a value the schema allows here';
  }
  if (kind.kind === 'index') return 'set index.start to a value the schema allows';
  return 'write a value the schema allows here';
}

function unknownFrom(
  where: string,
  walked: Extract<ReturnType<typeof walkPointer>, { ok: false }>,
  source: Source,
  pointer: string,
  needed: boolean,
  w: Walk,
): void {
  const names = propertyNamesAt(walked.parent);
  const near = closest(walked.token, names);
  const inside = walked.at ? `: ${walked.at} has no field ${walked.token}` : '';
  const fatal = needed && source.always;
  const consequence = needed
    ? `: the required field it writes would always be missing, ${fatal ? 'every command' : `every command with ${source.at.slice(0, -2)}`} refused`
    : ': the field it writes would always be left out';
  w.findings.push({
    code: 'unknown_from',
    severity: fatal ? 'error' : 'warning',
    path: where,
    message: `${source.at}${pointer} is not in the CRM ${w.type} command${source.at ? ` (in the elements of ${source.at.slice(0, -2)})` : ''}${inside}${allowedList(names)}${consequence}`,
    fix: near
      ? `did you mean ${walked.at}/${token(near)}?`
      : `read a field the CRM ${w.type} has${source.at ? ` (inside each, pointers are relative to the element of ${source.at.slice(0, -2)})` : ''}`,
  });
}

/** What `from` would write for a value read (dateFormat, as, case, maxLength), or undefined when it cannot be converted. */
function shaped(spec: FromValue, value: unknown): unknown {
  let out = value;
  if (spec.dateFormat) {
    try {
      out = formatDate(value, spec.dateFormat);
    } catch {
      return undefined;
    }
  }
  if (spec.as === 'string') out = String(out);
  else if (spec.as) {
    const number = typeof out === 'string' && out.trim() !== '' ? Number(out) : out;
    if (typeof number !== 'number' || !Number.isFinite(number) || (spec.as === 'integer' && !Number.isInteger(number)))
      return undefined;
    out = number;
  }
  if (typeof out !== 'string') return out;
  const cased = spec.case === 'upper' ? out.toUpperCase() : spec.case === 'lower' ? out.toLowerCase() : out;
  return spec.maxLength === undefined ? cased : cased.slice(0, spec.maxLength);
}

function checkFrom(
  spec: FromValue,
  where: string,
  target: Place,
  at: string,
  source: Source,
  needed: boolean,
  severity: DialectFinding['severity'],
  w: Walk,
): void {
  const read = walkPointer(source.place, spec.from);
  if (!read.ok) return unknownFrom(`${where}/from`, read, source, spec.from, needed, w);
  const shown = `${source.at}${spec.from}`;
  const listed = valuesAt(read.place);
  const misfit = (value: unknown) => {
    const out = shaped(spec, value);
    return out === undefined ? undefined : doesNotFit(target, out);
  };
  if (spec.table) {
    for (const [key, value] of Object.entries(spec.table)) {
      const problem = misfit(value);
      if (problem)
        w.findings.push({
          code: 'invalid_value',
          severity: 'warning',
          path: `${where}/table/${token(key)}`,
          message: `${key} → ${JSON.stringify(value)} does not fit ${w.target(at)}: it ${problem}`,
          fix: 'translate it to a value the schema allows',
        });
    }
    const gaps = (listed ?? []).map(String).filter((value) => !Object.hasOwn(spec.table!, value));
    if (gaps.length)
      w.findings.push({
        code: 'table_gap',
        severity: 'warning',
        path: `${where}/table`,
        message: `the CRM ${w.type} may send ${gaps.join(', ')} at ${shown}, which the table lacks: such commands would be refused`,
        fix: `add ${gaps.map((g) => `${g}: …`).join(', ')} to the table`,
      });
    if (spec.default !== undefined && !Object.hasOwn(spec.table, String(spec.default)))
      w.findings.push({
        code: 'invalid_value',
        severity: 'warning',
        path: `${where}/default`,
        message: `the default ${JSON.stringify(spec.default)} is not in the table: a command without ${shown} would be refused`,
        fix: `use a default the table has: ${Object.keys(spec.table).join(', ')}`,
      });
    return;
  }
  const wanted = typesAt(target);
  const types: JsonType[] | undefined = spec.as ? [spec.as === 'string' ? 'string' : spec.as] : typesAt(read.place);
  const fits = (type: JsonType) => allowsType(wanted, type) || (type === 'number' && wanted?.includes('integer'));
  if (wanted && types && !types.some(fits)) {
    const verb = spec.as ? 'set' : 'add';
    const fix = wanted.includes('string')
      ? `${verb} as: string`
      : wanted.some((t) => t === 'number' || t === 'integer') && types.includes('string')
        ? `${verb} as: ${wanted.includes('integer') ? 'integer' : 'number'}`
        : 'read a field of the right type, or translate it with a table';
    const found = spec.as
      ? `${shown} read as: ${spec.as} is ${article(types[0]!)}`
      : `${shown} is ${types.map(article).join(' or ')} in the CRM ${w.type}`;
    w.findings.push({
      code: 'incompatible_type',
      severity,
      path: spec.as ? `${where}/as` : `${where}/from`,
      message: `${found}, where ${w.target(at)} must be ${wanted.map(article).join(' or ')}`,
      fix,
    });
    return;
  }
  for (const value of listed ?? []) {
    const problem = misfit(value);
    if (problem) {
      w.findings.push({
        code: 'invalid_value',
        severity: 'warning',
        path: `${where}/from`,
        message: `the CRM ${w.type} may send ${JSON.stringify(value)} at ${shown}, which does not fit ${w.target(at)}: it ${problem}`,
        fix: `translate it with a table: { from: ${spec.from}, table: { ${listed!.map((v) => `${String(v)}: …`).join(', ')} } }`,
      });
      break;
    }
  }
  const most = types?.includes('string') && !spec.as ? maxLengthAt(read.place) : undefined;
  const limit = maxLengthAt(target);
  const cut = spec.maxLength;
  if (
    limit !== undefined &&
    ((cut !== undefined && cut > limit) || (cut === undefined && most !== undefined && most > limit))
  ) {
    w.findings.push({
      code: 'too_long',
      severity: 'warning',
      path: cut !== undefined ? `${where}/maxLength` : `${where}/from`,
      message: `${shown} may have ${cut ?? most} characters, where ${w.target(at)} allows ${limit}: longer ones would be refused`,
      fix: `add maxLength: ${limit} to cut it, if a cut text is acceptable`,
    });
  }
  if (spec.default !== undefined) {
    const problem = misfit(spec.default);
    if (problem)
      w.findings.push({
        code: 'invalid_value',
        severity: 'warning',
        path: `${where}/default`,
        message: `the default ${JSON.stringify(spec.default)} does not fit ${w.target(at)}: it ${problem}`,
        fix: 'use a default the schema allows',
      });
  }
}
