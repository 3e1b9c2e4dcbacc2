/**
 * Every text of the reconciliation report (CLI, JSON actions, HTML page) in the languages its
 * readers work in. Add a language by adding one more object of the same shape.
 */
import type { ActionReason } from '../../ledger/index.js';
import type { NotAskedBecause, Suggestion } from './needs-action.js';
import type { Discrepancy } from './report.js';

export type Lang = 'en' | 'ru';
export const langs: readonly Lang[] = ['en', 'ru'];

type Kind = Discrepancy['kind'];

export interface Texts {
  title: string;
  window: (from: string, to: string) => string;
  coverageIncomplete: (oldest: string) => string;
  generated: (at: string) => string;
  needsAction: {
    title: string;
    /** The report's headline: how many orders need a person. */
    headline: (count: number) => string;
    none: string;
    reasons: Record<ActionReason, string>;
    suggestions: Record<Suggestion, string>;
    notAsked: Record<NotAskedBecause, string>;
    since: (since: string, duration: string) => string;
    lastMesState: (state: string | null) => string;
    deadLetter: (reason: string) => string;
    columns: Record<'order' | 'reasons' | 'since' | 'status' | 'mesState' | 'mes' | 'detail' | 'action', string>;
  };
  /** A duration for a person: the two largest units, e.g. 3d 4h. */
  duration: (ms: number) => string;
  sections: {
    commands: string;
    events: string;
    orders: string;
    stuck: string;
    latency: string;
    chart: string;
    discrepancies: string;
    informational: string;
    reconciliation: string;
  };
  /** How to see each informational discrepancy in the text form. */
  informationalDetails: string;
  commands: Record<
    'received' | 'forwarded' | 'acknowledged' | 'rejected' | 'failed' | 'redelivered' | 'lost' | 'open',
    string
  >;
  events: Record<'consumed' | 'duplicates' | 'outOfOrder' | 'quarantined' | 'invalid' | 'deadLettered', string>;
  latency: Record<'count' | 'p50' | 'p90' | 'p99' | 'max', string>;
  chartLegend: { acknowledged: string; p99: string };
  table: {
    kind: string;
    order: string;
    since: string;
    status: string;
    detail: string;
    action: string;
    mes: string;
    filterAll: string;
    search: string;
    none: string;
    timeline: string;
    close: string;
  };
  kinds: Record<Kind, string>;
  actions: Record<Kind, string>;
  details: {
    lost: (reason: string) => string;
    ackByEvidence: (reason: string) => string;
    ackByLaterState: (state: string) => string;
    ackOutOfOrder: (state: string, answer: string) => string;
    missingInMes: (status: string, attention: string) => string;
    diverged: (gateway: string, mes: string, mesState: string) => string;
    unconfirmed: (count: number, types: string) => string;
    duplicates: (count: number) => string;
    unknownState: (state: string) => string;
  };
  mes: { notAsked: string; knows: (state: string) => string; unknown: string; failed: (error: string) => string };
  reconciliation: (asked: number, answered: number, notAsked: number, limit: number | null) => string;
  progress: (done: number | string, total: number | string) => string;
  none: string;
}

const en: Texts = {
  title: 'Orderbridge reconciliation report',
  needsAction: {
    title: 'Needs a person',
    headline: (count) => (count === 1 ? '1 order needs a person' : `${count} orders need a person`),
    none: 'No order needs a person.',
    reasons: {
      lost: 'lost',
      stuck: 'stuck',
      quarantined: 'quarantined MES event',
      dead_lettered: 'dead letter',
      rejected: 'rejected, CRM not answered',
      failed: 'failed, CRM not answered',
    },
    suggestions: {
      resend_to_mes:
        'Most urgent: the MES does not have this order. Re-send it from the CRM (or enter it in the MES by hand), then find out how the MES lost it.',
      check_event_path:
        'Do not re-send: the MES has the order. Check the MES → gateway event path (the MES events exchange and queue); the next MES event corrects the status.',
      check_mes_has_it:
        'The MES never acknowledged the order: check in the MES whether it has it (or run the report with reconciliation on); if not, re-send it from the CRM.',
      check_missed_event:
        'The MES is further on: the gateway missed an MES event. Check the MES events queue and the dead letters (orderbridge dead-letters); the next event corrects it.',
      check_mes_progress:
        'The MES has the order in the same state: ask the work centre why it does not progress (halted line, waiting for parts, on hold in the MES).',
      check_stuck:
        'Check in the MES where the order is: if it moved on, check the MES events queue; if it waits, ask the work centre why.',
      map_mes_state:
        'Add the MES state under states in the dialect (config/mes/<dialect>/dialect.yaml; check it with orderbridge check-config) and restart; the next event of the order then applies.',
      check_unknown_order:
        'The MES reports an order that never came through the gateway: find where the MES got it (entered by hand, another system) and create it from the CRM if it is real.',
      replay_dead_letter:
        'orderbridge dead-letters lists the message with its error: fix the sender, the mapping or the config, then orderbridge replay --id ID.',
      answer_rejection:
        'The MES rejected the order: tell the customer, or correct the order and re-send it from the CRM.',
      answer_refused_change:
        'The MES refused the change (a cancel or an update) and the order goes on as it was: tell the customer, or send the change again from the CRM once the MES can take it.',
      answer_failure:
        'The MES reported an error on the order and it has not recovered: fix the cause in the MES, or cancel or re-send it from the CRM.',
    },
    notAsked: {
      reconciliation_off: 'reconciliation off',
      over_limit: 'over the look-up limit',
      not_lost_or_stuck: 'only lost and stuck orders are looked up',
    },
    since: (since, duration) => `since ${since} (for ${duration})`,
    lastMesState: (state) => (state === null ? 'no MES state yet' : `last MES state ${state}`),
    deadLetter: (reason) => `dead letter: ${reason}`,
    columns: {
      order: 'Order',
      reasons: 'Why',
      since: 'Since (for)',
      status: 'Status',
      mesState: 'Last MES state',
      mes: 'MES says',
      detail: 'Reason',
      action: 'Suggested action',
    },
  },
  duration: (ms) => twoUnits(ms, ['d', 'h', 'm', 's'], ''),
  window: (from, to) => `Window ${from} – ${to}`,
  coverageIncomplete: (oldest) =>
    `The ledger holds records from ${oldest} only (retention): the window before that is not covered.`,
  generated: (at) => `Generated ${at}`,
  sections: {
    commands: 'Commands',
    events: 'Events',
    orders: 'Orders by status',
    stuck: 'Stuck orders by status',
    latency: 'Acknowledgement latency',
    chart: 'Acknowledgements and latency over the window',
    discrepancies: 'Discrepancies needing action',
    informational: 'Informational, nothing to do',
    reconciliation: 'Reconciliation with the MES',
  },
  informationalDetails: 'each one with --details',
  commands: {
    received: 'received',
    forwarded: 'forwarded',
    acknowledged: 'acknowledged',
    rejected: 'rejected',
    failed: 'failed',
    redelivered: 'redelivered',
    lost: 'lost',
    open: 'waiting for the MES',
  },
  events: {
    consumed: 'MES events consumed',
    duplicates: 'duplicates',
    outOfOrder: 'out of order',
    quarantined: 'quarantined',
    invalid: 'invalid',
    deadLettered: 'dead-lettered',
  },
  latency: { count: 'acknowledged', p50: 'p50', p90: 'p90', p99: 'p99', max: 'max' },
  chartLegend: { acknowledged: 'acknowledgements', p99: 'p99 latency' },
  table: {
    kind: 'Kind',
    order: 'Order',
    since: 'Since',
    status: 'Status',
    detail: 'Detail',
    action: 'Suggested action',
    mes: 'MES says',
    filterAll: 'all kinds',
    search: 'Filter by order or text',
    none: 'No discrepancies in this window.',
    timeline: 'Timeline of order',
    close: 'Close',
  },
  kinds: {
    missing_in_mes: 'the MES does not have the order',
    command_never_acknowledged: 'command never acknowledged',
    acknowledgement_lost: 'acknowledgement lost',
    status_diverged: 'status diverged',
    crm_not_informed: 'CRM not informed',
    duplicate_seen: 'duplicate seen',
    unknown_mes_state: 'unknown MES state',
    acknowledged_out_of_order: 'acknowledged out of order',
  },
  actions: {
    missing_in_mes:
      'Most urgent: the MES has lost this order. Re-send it from the CRM (or enter it in the MES by hand), then find out how the MES lost it (a restore from a backup, a manual deletion, a failed import).',
    command_never_acknowledged:
      'The MES does not have the order: re-send it from the CRM, and check the MES command queue and its consumer for why it was lost.',
    acknowledgement_lost:
      'Do not re-send: the MES has the order. Check the MES → gateway event path (the MES events exchange and queue); the next MES event corrects the status.',
    status_diverged:
      'The gateway missed an MES event: check the MES events queue and the dead letters (orderbridge dead-letters); the next event of the order corrects it.',
    crm_not_informed:
      'The watchdog republishes unconfirmed events; if this stays, check the order events exchange, its binding to the CRM queue, and the broker.',
    duplicate_seen:
      'Nothing to do: the ledger absorbed it. Many duplicates point at a sender retrying without confirms or a consumer dying before its ack.',
    unknown_mes_state:
      'Add the MES state under states in the dialect (config/mes/<dialect>/dialect.yaml; check it with orderbridge check-config) and restart; the next event of the order then applies.',
    acknowledged_out_of_order:
      'Nothing to do: the ledger put the MES states back in order. Many of these point at reordering between the MES and the gateway (several consumers, requeues).',
  },
  details: {
    lost: (reason) => `Flagged lost by the watchdog: ${reason}`,
    ackByEvidence: (reason) => `Closed by the watchdog without an acknowledgement (${reason})`,
    ackByLaterState: (state) =>
      `Acknowledged by MES state ${state}: the MES has the order, but its acknowledging state never arrived`,
    missingInMes: (status, attention) =>
      `Flagged ${attention === 'lost' ? 'lost' : 'stuck'} in ${status}, and the MES API says it has no such order`,
    ackOutOfOrder: (state, answer) =>
      `Acknowledged by MES state ${state}, which arrived before the acknowledging state ${answer} (out of order); nothing was lost`,
    diverged: (gateway, mes, mesState) => `Gateway: ${gateway}; MES: ${mes} (${mesState})`,
    unconfirmed: (count, types) => `${count} order event(s) not confirmed by the broker (${types})`,
    duplicates: (count) => `${count} duplicate deliver${count === 1 ? 'y' : 'ies'}`,
    unknownState: (state) => `MES state ${JSON.stringify(state)} is not in the mapping`,
  },
  mes: {
    notAsked: 'not asked',
    knows: (state) => `has the order (${state})`,
    unknown: 'does not know the order',
    failed: (error) => `could not be asked: ${error}`,
  },
  reconciliation: (asked, answered, notAsked, limit) =>
    `Asked the MES about ${asked} lost or flagged order(s), ${answered} answered.${
      !notAsked
        ? ''
        : limit === null
          ? ` ${notAsked} not asked: reconciliation was off (--no-reconcile); run the report without it to ask about them.`
          : ` ${notAsked} not asked: over the limit of ${limit} look-ups per report; ask about them all with orderbridge report --max-lookups ${asked + notAsked}.`
    }`,
  progress: (done, total) => `asking the MES: ${done}/${total}`,
  none: '—',
};

const ru: Texts = {
  title: 'Отчёт сверки Orderbridge',
  needsAction: {
    title: 'Требуют внимания человека',
    headline: (count) => `Заказов, требующих внимания человека: ${count}`,
    none: 'Ни один заказ не требует внимания человека.',
    reasons: {
      lost: 'потерян',
      stuck: 'завис',
      quarantined: 'событие MES в карантине',
      dead_lettered: 'в очереди ошибок',
      rejected: 'отклонён, CRM не ответила',
      failed: 'ошибка, CRM не ответила',
    },
    suggestions: {
      resend_to_mes:
        'Срочно: в MES этого заказа нет. Отправьте его из CRM повторно (или заведите в MES вручную), затем выясните, как MES его потеряла.',
      check_event_path:
        'Не отправляйте повторно: заказ в MES есть. Проверьте путь событий MES → шлюз (обменник и очередь событий MES); следующее событие исправит статус.',
      check_mes_has_it:
        'MES не подтвердила заказ: проверьте в MES, есть ли он (или запустите отчёт со сверкой); если нет — отправьте его из CRM повторно.',
      check_missed_event:
        'MES ушла дальше: шлюз пропустил событие MES. Проверьте очередь событий MES и очередь ошибок (orderbridge dead-letters); следующее событие исправит статус.',
      check_mes_progress:
        'В MES заказ в том же состоянии: выясните у участка, почему он не движется (остановлена линия, нет материала, задержан в MES).',
      check_stuck:
        'Проверьте в MES, где заказ: если ушёл дальше — проверьте очередь событий MES; если ждёт — выясните у участка почему.',
      map_mes_state:
        'Добавьте состояние MES в states диалекта (config/mes/<диалект>/dialect.yaml; проверка: orderbridge check-config) и перезапустите; следующее событие заказа применится.',
      check_unknown_order:
        'MES сообщает о заказе, который не проходил через шлюз: выясните, откуда он в MES (заведён вручную, другая система), и если он настоящий — создайте его из CRM.',
      replay_dead_letter:
        'orderbridge dead-letters покажет сообщение и ошибку: исправьте отправителя, сопоставление или конфигурацию, затем orderbridge replay --id ID.',
      answer_rejection: 'MES отклонила заказ: сообщите клиенту или исправьте заказ и отправьте его из CRM повторно.',
      answer_refused_change:
        'MES отказалась от изменения (отмены или правки), заказ идёт как прежде: сообщите клиенту или отправьте изменение из CRM повторно, когда MES сможет его принять.',
      answer_failure:
        'MES сообщила об ошибке по заказу, и он не восстановился: устраните причину в MES или отмените либо отправьте заказ из CRM повторно.',
    },
    notAsked: {
      reconciliation_off: 'сверка выключена',
      over_limit: 'сверх предела запросов',
      not_lost_or_stuck: 'запрашиваются только потерянные и зависшие заказы',
    },
    since: (since, duration) => `с ${since} (уже ${duration})`,
    lastMesState: (state) => (state === null ? 'состояний MES ещё не было' : `последнее состояние MES ${state}`),
    deadLetter: (reason) => `в очереди ошибок: ${reason}`,
    columns: {
      order: 'Заказ',
      reasons: 'Почему',
      since: 'С (сколько)',
      status: 'Статус',
      mesState: 'Последнее состояние MES',
      mes: 'Ответ MES',
      detail: 'Причина',
      action: 'Что сделать',
    },
  },
  duration: (ms) => twoUnits(ms, ['д', 'ч', 'мин', 'с'], ' '),
  window: (from, to) => `Период ${from} – ${to}`,
  coverageIncomplete: (oldest) =>
    `Журнал хранит записи только с ${oldest} (срок хранения): более ранняя часть периода не покрыта.`,
  generated: (at) => `Сформирован ${at}`,
  sections: {
    commands: 'Команды',
    events: 'События',
    orders: 'Заказы по статусам',
    stuck: 'Зависшие заказы по статусам',
    latency: 'Время подтверждения',
    chart: 'Подтверждения и время подтверждения за период',
    discrepancies: 'Расхождения, требующие действий',
    informational: 'Для сведения, действий не требуется',
    reconciliation: 'Сверка с MES',
  },
  informationalDetails: 'каждое — с --details',
  commands: {
    received: 'получено',
    forwarded: 'передано в MES',
    acknowledged: 'подтверждено',
    rejected: 'отклонено',
    failed: 'ошибка',
    redelivered: 'отправлено повторно',
    lost: 'потеряно',
    open: 'ждут ответа MES',
  },
  events: {
    consumed: 'событий MES получено',
    duplicates: 'дубликаты',
    outOfOrder: 'не по порядку',
    quarantined: 'в карантине',
    invalid: 'некорректные',
    deadLettered: 'в очереди ошибок',
  },
  latency: { count: 'подтверждено', p50: 'p50', p90: 'p90', p99: 'p99', max: 'макс.' },
  chartLegend: { acknowledged: 'подтверждения', p99: 'p99 времени' },
  table: {
    kind: 'Вид',
    order: 'Заказ',
    since: 'С',
    status: 'Статус',
    detail: 'Подробности',
    action: 'Что сделать',
    mes: 'Ответ MES',
    filterAll: 'все виды',
    search: 'Фильтр по заказу или тексту',
    none: 'Расхождений за период нет.',
    timeline: 'История заказа',
    close: 'Закрыть',
  },
  kinds: {
    missing_in_mes: 'заказа нет в MES',
    command_never_acknowledged: 'команда не подтверждена',
    acknowledgement_lost: 'подтверждение потеряно',
    status_diverged: 'статусы расходятся',
    crm_not_informed: 'CRM не уведомлена',
    duplicate_seen: 'дубликат',
    unknown_mes_state: 'неизвестное состояние MES',
    acknowledged_out_of_order: 'подтверждено не по порядку',
  },
  actions: {
    missing_in_mes:
      'Срочно: MES потеряла этот заказ. Отправьте его из CRM повторно (или заведите в MES вручную), затем выясните, как MES его потеряла (восстановление из резервной копии, ручное удаление, сбой импорта).',
    command_never_acknowledged:
      'В MES заказа нет: отправьте его из CRM повторно и проверьте очередь команд MES и её получателя — где команда потерялась.',
    acknowledgement_lost:
      'Не отправляйте повторно: заказ в MES есть. Проверьте путь событий MES → шлюз (обменник и очередь событий MES); следующее событие исправит статус.',
    status_diverged:
      'Шлюз пропустил событие MES: проверьте очередь событий MES и очередь ошибок (orderbridge dead-letters); следующее событие заказа исправит статус.',
    crm_not_informed:
      'Сторож шлюза переотправляет неподтверждённые события; если не проходит — проверьте обменник событий заказов, его привязку к очереди CRM и брокер.',
    duplicate_seen:
      'Ничего делать не нужно: журнал поглотил дубликат. Много дубликатов — признак отправителя без подтверждений или получателя, падающего до ack.',
    unknown_mes_state:
      'Добавьте состояние MES в states диалекта (config/mes/<диалект>/dialect.yaml; проверка: orderbridge check-config) и перезапустите; следующее событие заказа применится.',
    acknowledged_out_of_order:
      'Ничего делать не нужно: журнал восстановил порядок состояний MES. Если таких много — события MES переставляются по пути к шлюзу (несколько получателей, возвраты в очередь).',
  },
  details: {
    lost: (reason) => `Сторож пометил как потерянный: ${reason}`,
    ackByEvidence: (reason) => `Закрыто сторожем без подтверждения (${reason})`,
    ackByLaterState: (state) =>
      `Подтверждено состоянием MES ${state}: заказ в MES есть, но подтверждающее состояние так и не пришло`,
    missingInMes: (status, attention) =>
      `Помечен как ${attention === 'lost' ? 'потерянный' : 'зависший'} в статусе ${status}, а API MES отвечает, что такого заказа нет`,
    ackOutOfOrder: (state, answer) =>
      `Подтверждено состоянием MES ${state}, которое пришло раньше подтверждающего состояния ${answer} (не по порядку); ничего не потеряно`,
    diverged: (gateway, mes, mesState) => `Шлюз: ${gateway}; MES: ${mes} (${mesState})`,
    unconfirmed: (count, types) => `Событий заказа не подтверждено брокером: ${count} (${types})`,
    duplicates: (count) => `Повторных доставок: ${count}`,
    unknownState: (state) => `Состояния MES ${JSON.stringify(state)} нет в сопоставлении`,
  },
  mes: {
    notAsked: 'не спрашивали',
    knows: (state) => `заказ есть (${state})`,
    unknown: 'заказа нет',
    failed: (error) => `не ответила: ${error}`,
  },
  reconciliation: (asked, answered, notAsked, limit) =>
    `Запросов к MES о потерянных и помеченных заказах: ${asked}, ответов: ${answered}.${
      !notAsked
        ? ''
        : limit === null
          ? ` Не спрашивали: ${notAsked} — сверка была выключена (--no-reconcile); запустите отчёт без этого флага, чтобы спросить о них.`
          : ` Не спрашивали: ${notAsked} — сверх предела в ${limit} запросов на отчёт; спросить обо всех: orderbridge report --max-lookups ${asked + notAsked}.`
    }`,
  progress: (done, total) => `запросы к MES: ${done}/${total}`,
  none: '—',
};

export const texts: Record<Lang, Texts> = { en, ru };

/** The two largest non-zero units of a duration (days, hours, minutes, seconds), e.g. 3d 4h or 5 мин 2 с. */
function twoUnits(ms: number, units: [string, string, string, string], gap: string): string {
  const sizes = [86_400, 3600, 60, 1];
  let rest = Math.floor(Math.max(0, ms) / 1000);
  const parts = sizes.map((size) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return n;
  });
  const first = Math.max(
    0,
    parts.findIndex((n) => n > 0),
  );
  return parts
    .slice(first, first + 2)
    .map((n, i) => (n || i === 0 ? `${n}${gap}${units[first + i]}` : ''))
    .filter(Boolean)
    .join(' ');
}

/** The reader's language from --lang or an Accept-Language header; English when neither names one we have. */
export function pickLang(requested: string | undefined): Lang {
  for (const part of (requested ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase().slice(0, 2);
    if ((langs as readonly string[]).includes(tag)) return tag as Lang;
  }
  return 'en';
}
