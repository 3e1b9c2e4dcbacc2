import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { canMove, orderStatuses } from './status-model.js';

export interface LintFinding {
  code: 'unmapped_state' | 'unreachable_status' | 'forbidden_move' | 'no_acceptance';
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
