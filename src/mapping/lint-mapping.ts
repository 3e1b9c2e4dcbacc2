import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { acknowledgedBy } from './acknowledgement.js';
import { readText } from './coerce.js';
import { canMove, orderStatuses } from './status-model.js';

export interface LintFinding {
  code:
    | 'unmapped_state'
    | 'unreachable_status'
    | 'forbidden_move'
    | 'no_acceptance'
    | 'unmatchable_state'
    | 'uncorrelated_command';
  /** JSON Pointer into the dialect file. */
  path: string;
  message: string;
  fix: string;
}

/** Findings that a valid mapping can still have: gaps and contradictions with the status model. */
export function lintMapping(mapping: DialectConfig): LintFinding[] {
  return [
    ...unmappedStates(mapping),
    ...unreachableStatuses(mapping),
    ...forbiddenMoves(mapping),
    ...missingAcceptance(mapping),
    ...unmatchableStates(mapping),
    ...uncorrelatedCommands(mapping),
  ];
}

function unmappedStates({ states }: DialectConfig): LintFinding[] {
  return Object.entries(states).flatMap(([name, state]) =>
    (state.next ?? []).flatMap((next, i) =>
      Object.hasOwn(states, next)
        ? []
        : [
            {
              code: 'unmapped_state' as const,
              path: `/states/${name}/next/${i}`,
              message: `MES state ${next} (reachable from ${name}) maps to nothing: its events would be quarantined`,
              fix: `add ${next} under states with the external status it means`,
            },
          ],
    ),
  );
}

function unreachableStatuses({ states, crmOwned }: DialectConfig): LintFinding[] {
  const reached = new Set([...crmOwned, ...Object.values(states).flatMap((s) => (s.status ? [s.status] : []))]);
  return orderStatuses
    .filter((status) => !reached.has(status))
    .map((status) => ({
      code: 'unreachable_status' as const,
      path: '/states',
      message: `external status ${status} is reached by no MES state and is not CRM-owned`,
      fix: `map the MES state that means ${status} to it, or list ${status} under crmOwned if the CRM establishes it`,
    }));
}

function forbiddenMoves({ states }: DialectConfig): LintFinding[] {
  return Object.entries(states).flatMap(([name, state]) =>
    (state.next ?? []).flatMap((next, i) => {
      const from = state.status;
      const to = states[next]?.status;
      if (from === undefined || to === undefined || from === to || canMove(from, to)) return [];
      return [
        {
          code: 'forbidden_move' as const,
          path: `/states/${name}/next/${i}`,
          message: `MES move ${name} → ${next} would need ${from} → ${to}, which the status model forbids`,
          fix: `map ${name} or ${next} to another status, or drop ${next} from ${name}.next if the MES cannot make that move`,
        },
      ];
    }),
  );
}

function missingAcceptance({ states }: DialectConfig): LintFinding[] {
  if (Object.values(states).some((s) => s.ack === 'accepted')) return [];
  return [
    {
      code: 'no_acceptance',
      path: '/states',
      message: 'no MES state acknowledges a command as accepted: every order would end up flagged lost',
      fix: 'set ack: accepted on the state the MES enters when it takes an order over',
    },
  ];
}

/** States no event can name: events.values.state turns every state read into another text first. */
function unmatchableStates({ states, events }: DialectConfig): LintFinding[] {
  const rule = events.values?.state;
  return Object.keys(states).flatMap((name) => {
    const read = readText(name, rule);
    if (read === name) return [];
    return [
      {
        code: 'unmatchable_state' as const,
        path: `/states/${name}`,
        message: `MES state ${name} can never match: events.values.state (${JSON.stringify(rule)}) reads it as ${read}, so its events would be quarantined`,
        fix: `write it as ${read}`,
      },
    ];
  });
}

/**
 * Commands no answer can name: the dialect matches answers by correlation id, and a command that
 * does not carry the gateway's message id (which the MES echoes) could never be acknowledged.
 */
function uncorrelatedCommands(mapping: DialectConfig): LintFinding[] {
  if (acknowledgedBy(mapping) !== 'correlationId') return [];
  const { schema: _schema, ...commands } = mapping.commands;
  return Object.entries(commands).flatMap(([type, command]) =>
    writesGatewayMessageId(command.message)
      ? []
      : [
          {
            code: 'uncorrelated_command' as const,
            path: `/commands/${type}/message`,
            message: `answers are matched by correlation id (${mapping.events.paths.correlationId ?? 'acknowledgement.by'}), but ${type} never carries the gateway's message id: no answer could match it, so every ${type} would be sent again and flagged lost`,
            fix: 'write { gateway: messageId } where the MES takes the id it echoes back, or set acknowledgement.by: state',
          },
        ],
  );
}

function writesGatewayMessageId(template: unknown): boolean {
  if (template === null || typeof template !== 'object') return false;
  if ((template as { gateway?: unknown }).gateway === 'messageId') return true;
  return Object.values(template).some(writesGatewayMessageId);
}
