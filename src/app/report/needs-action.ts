import type { ActionItem, ReconciliationReport } from '../../contracts/generated/ops/report.js';
import {
  byUrgency,
  ordersNeedingAction,
  type NeedsActionRows,
  type OpsLedger,
  type OrderNeedingAction,
} from '../../ledger/index.js';
import { canMove, isOrderStatus, type OrderStatus } from '../../mapping/index.js';
import type { MesAnswer } from './report.js';
import { texts, type Lang } from './texts.js';

export type { ActionItem };
export type NeedsAction = ReconciliationReport['needsAction'];
export type Suggestion = ActionItem['suggestion'];
export type NotAskedBecause = NonNullable<ActionItem['mes']['notAskedBecause']>;

/** The window the gauge orderbridge_orders_needing_action counts over: the report's default, the last 24 h. */
export const needsActionWindowMs = 86_400_000;

/** How many orders need a person now: the gauge the alert rules count, the same number as a default report's headline. */
export async function countOrdersNeedingAction(
  ledger: Pick<OpsLedger, 'needsActionRows'>,
  now: number,
): Promise<number> {
  return ordersNeedingAction(await ledger.needsActionRows(now - needsActionWindowMs, now)).length;
}

export interface ActionListInput {
  rows: NeedsActionRows;
  now: number;
  lang: Lang;
  /** What the MES said about the orders it was asked about. */
  answers: Map<string, MesAnswer>;
  /** Why an order of the list that was looked for in the MES has no answer (off, or over the limit). */
  notAskedBecause: (orderId: string) => NotAskedBecause;
  statusOfMesState: (state: string) => OrderStatus | undefined;
}

/** The report's action list: every order that needs a person, each once, the most urgent first. */
export function buildActionList(input: ActionListInput): NeedsAction {
  const ranked = ordersNeedingAction(input.rows)
    .map((order) => ({ order, answer: input.answers.get(order.orderId) }))
    .map((entry) => ({ ...entry, mesKnows: entry.answer && 'knows' in entry.answer ? entry.answer.knows : undefined }))
    .sort(byUrgency);
  const items = ranked.map(({ order, answer }) => actionItem(order, answer, input));
  const byReason: NeedsAction['byReason'] = {};
  for (const reason of items.flatMap((item) => item.reasons)) byReason[reason] = (byReason[reason] ?? 0) + 1;
  return { total: items.length, byReason, items };
}

function actionItem(order: OrderNeedingAction, answer: MesAnswer | undefined, input: ActionListInput): ActionItem {
  const mes = mesOf(order, answer, input);
  const suggestion = suggest(order, answer, input);
  // A command's own reason says only how it was answered (e.g. by correlation id): no help to a person.
  const detail = order.quarantined?.reason;
  return {
    orderId: order.orderId,
    since: new Date(order.since).toISOString(),
    forMs: Math.max(0, input.now - order.since),
    reasons: order.reasons,
    ...(order.status && isOrderStatus(order.status) ? { status: order.status } : {}),
    mesState: order.mesState,
    mes,
    ...(order.deadLetterReason !== undefined ? { deadLetterReason: order.deadLetterReason.slice(0, 2000) } : {}),
    ...(detail ? { detail: detail.slice(0, 2000) } : {}),
    suggestion,
    action: texts[input.lang].needsAction.suggestions[suggestion],
  };
}

function mesOf(order: OrderNeedingAction, answer: MesAnswer | undefined, input: ActionListInput): ActionItem['mes'] {
  if (!answer) {
    const flagged = order.reasons.includes('lost') || order.reasons.includes('stuck');
    return { asked: false, notAskedBecause: flagged ? input.notAskedBecause(order.orderId) : 'not_lost_or_stuck' };
  }
  if ('error' in answer) return { asked: true, error: answer.error.slice(0, 500) };
  if (!answer.knows) return { asked: true, knows: false };
  const status = input.statusOfMesState(answer.state);
  return { asked: true, knows: true, state: answer.state, ...(status ? { status } : {}) };
}

/** One action per order, for its most urgent reason and what the MES said. */
function suggest(order: OrderNeedingAction, answer: MesAnswer | undefined, input: ActionListInput): Suggestion {
  const knows = answer && 'knows' in answer ? answer.knows : undefined;
  if (knows === false) return 'resend_to_mes';
  const reason = order.reasons[0]!;
  switch (reason) {
    case 'lost':
      return knows ? 'check_event_path' : 'check_mes_has_it';
    case 'stuck': {
      if (!answer || !('knows' in answer) || !answer.knows) return 'check_stuck';
      const mesStatus = input.statusOfMesState(answer.state);
      const ahead =
        mesStatus !== undefined &&
        order.status !== undefined &&
        isOrderStatus(order.status) &&
        mesStatus !== order.status &&
        canMove(order.status, mesStatus);
      return ahead ? 'check_missed_event' : 'check_mes_progress';
    }
    case 'quarantined':
      return order.status === undefined ? 'check_unknown_order' : 'map_mes_state';
    case 'dead_lettered':
      return 'replay_dead_letter';
    case 'rejected':
      // A refused cancel or update leaves the order as it was: the order itself was not rejected.
      return order.outcome?.command === 'order.create' ? 'answer_rejection' : 'answer_refused_change';
    case 'failed':
      return 'answer_failure';
    default: {
      const unknown: never = reason;
      throw new Error(`no suggestion for ${String(unknown)}`);
    }
  }
}
