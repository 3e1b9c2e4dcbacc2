import { decideCommandIntake, decideFactIntake, decideMesEventIntake } from '../decide-intake.js';
import { decideMesEvent } from '../decide-mes-event.js';
import { decideStatusFact } from '../decide-status.js';
import { ackDueAt } from '../decide-watchdog.js';
import type { OpenCommand } from '../model.js';
import type { MessageRow } from './statements.js';
import type {
  CommandInput,
  CommandResult,
  CrmFactInput,
  EventResult,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import { toOut, type SqliteContext } from './context.js';

/** The pipeline's writes: each message in, what it decides, and the marks once the broker confirmed. */
export class SqliteIntake {
  constructor(private readonly ctx: SqliteContext) {}

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run(() => this.recordCommandNow(input, now));
  }

  private recordCommandNow(input: CommandInput, now: number): CommandResult {
    const inserted = this.ctx.insertMessage(
      {
        direction: 'in',
        channel: 'crm.command',
        type: input.type,
        messageId: input.crmMessageId,
        orderId: input.orderId,
        state: 'received',
        traceId: input.traceId,
      },
      now,
    );
    if (inserted === undefined) return this.repeatedCommand(input, now);

    const order = this.ctx.loadOrder(input.orderId);
    const creates =
      order && input.type === 'order.create' ? (this.ctx.sql.createsOfOrder.pluck().get(input.orderId) as number) : 0;
    const intake = decideCommandIntake(input, order, creates);
    if (intake.kind === 'refused') {
      this.ctx.sql.setMessageState.run({
        id: inserted,
        state: 'dead_lettered',
        reason: intake.reason,
        orderId: null,
        now,
      });
      return intake;
    }
    if (intake.kind === 'create_order') this.ctx.insertOrder(input, now);
    const outId = this.ctx.insertMessage(
      {
        direction: 'out',
        channel: 'mes.command',
        type: input.type,
        messageId: input.mes.messageId,
        causeId: inserted,
        orderId: input.orderId,
        state: 'pending',
        routingKey: input.mes.routingKey,
        payload: input.mes.payload,
        traceId: input.traceId,
      },
      now,
    );
    if (outId === undefined) throw new Error(`MES message id ${input.mes.messageId} already used by another command`);
    return {
      kind: 'forward',
      redelivery: false,
      out: {
        rowId: outId,
        channel: 'mes.command',
        messageId: input.mes.messageId,
        routingKey: input.mes.routingKey,
        payload: input.mes.payload,
      },
    };
  }

  /**
   * The same CRM command again. A broker redelivery finishes what the earlier delivery left
   * unfinished (a crash before the confirm); a second copy sent by the CRM changes nothing, since
   * its first copy is either done or will itself be redelivered.
   */
  private repeatedCommand({ crmMessageId, redelivered }: CommandInput, now: number): CommandResult {
    const row = this.ctx.sql.findMessage.get('crm.command', crmMessageId) as MessageRow;
    this.ctx.sql.countDelivery.run(now, row.id);
    this.ctx.journal(now, row.order_id, row.id, {
      kind: 'duplicate_delivery',
      detail: { messageId: crmMessageId, state: row.state, redelivered: redelivered ?? false },
    });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    if (row.state !== 'received' || !redelivered) return { kind: 'already_forwarded' };
    const out = this.ctx.sql.outOfCommand.get(row.id) as MessageRow;
    return { kind: 'forward', redelivery: true, out: toOut(out) };
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.ctx.commits.run(() => {
      const row = this.ctx.sql.messageById.get(out.rowId) as MessageRow;
      this.ctx.sql.markCommandForwarded.run({ id: row.cause_id, now });
      this.ctx.sql.markOutForwarded.run({
        id: row.id,
        causeId: row.cause_id,
        now,
        dueAt: ackDueAt(now, 1, this.ctx.policy.ack),
      });
    });
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => this.recordMesEventNow(input, now));
  }

  private recordMesEventNow(
    { fields, translation, type, traceId, redelivered, body }: MesEventInput,
    now: number,
  ): EventResult {
    const rowId = this.ctx.insertMessage(
      {
        direction: 'in',
        channel: 'mes.event',
        type,
        messageId: fields.eventId,
        orderId: fields.orderId,
        state: 'received',
        traceId,
        ...(body !== undefined ? { payload: body } : {}),
      },
      now,
    );
    if (rowId === undefined) return this.repeatedEvent('mes.event', fields.eventId, redelivered, now);
    const intake = decideMesEventIntake(translation, this.ctx.loadOrder(fields.orderId));
    if (intake.kind === 'quarantined') {
      this.ctx.sql.setMessageState.run({ id: rowId, state: 'quarantined', reason: intake.reason, orderId: null, now });
      this.ctx.journal(now, fields.orderId, rowId, intake.journal);
      return { kind: 'recorded', state: 'quarantined', publish: [] };
    }
    const { order } = intake;
    const open = this.ctx.sql.openCommands.all(order.orderId) as OpenCommand[];
    const decision = decideMesEvent(order, open, intake.translation, now, this.ctx.policy);
    this.ctx.sql.setMessageState.run({
      id: rowId,
      state: decision.eventState,
      reason: decision.reason ?? null,
      orderId: null,
      now,
    });
    if (decision.acknowledged) {
      const { command, outcome } = decision.acknowledged;
      this.ctx.sql.closeCommand.run({
        id: command.sourceRowId,
        state: outcome === 'accepted' ? 'acknowledged' : outcome,
        reason: decision.acknowledged.reason,
        now,
      });
      this.ctx.sql.clearDue.run(now, command.rowId);
    }
    if (decision.order) this.ctx.updateOrder(order, decision.order, now);
    for (const entry of decision.journal) this.ctx.journal(now, order.orderId, rowId, entry);
    const publish = this.ctx.queueChanges(decision.changes, rowId, `mes:${fields.eventId}`, now);
    const acknowledged = decision.acknowledged && {
      outcome: decision.acknowledged.outcome,
      afterMs: now - decision.acknowledged.command.queuedAt,
    };
    return { kind: 'recorded', state: decision.eventState, publish, ...(acknowledged ? { acknowledged } : {}) };
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => {
      const rowId = this.ctx.insertMessage(
        {
          direction: 'in',
          channel: 'crm.fact',
          type: input.type,
          messageId: input.messageId,
          orderId: input.orderId,
          state: 'received',
          traceId: input.traceId,
        },
        now,
      );
      if (rowId === undefined) return this.repeatedEvent('crm.fact', input.messageId, input.redelivered, now);
      const intake = decideFactIntake(input.orderId, this.ctx.loadOrder(input.orderId));
      if (intake.kind === 'refused') {
        this.ctx.sql.setMessageState.run({
          id: rowId,
          state: 'dead_lettered',
          reason: intake.reason,
          orderId: null,
          now,
        });
        return intake;
      }
      const { order } = intake;
      const decision = decideStatusFact(
        order,
        order.attention,
        { status: input.status, source: 'crm', occurredAt: input.occurredAt },
        now,
        this.ctx.policy.deadlines,
      );
      this.ctx.sql.setMessageState.run({
        id: rowId,
        state: decision.eventState,
        reason: decision.reason ?? null,
        orderId: null,
        now,
      });
      this.ctx.updateOrder(order, decision.order, now);
      for (const entry of decision.journal) this.ctx.journal(now, order.orderId, rowId, entry);
      return {
        kind: 'recorded',
        state: decision.eventState,
        publish: this.ctx.queueChanges(decision.changes, rowId, `crm:${input.messageId}`, now),
      };
    });
  }

  /**
   * A repeated event changes nothing. A broker redelivery also sends again what the earlier
   * delivery caused and never saw confirmed; a duplicate copy leaves that to its first copy.
   */
  private repeatedEvent(
    channel: 'mes.event' | 'crm.fact',
    messageId: string,
    redelivered: boolean | undefined,
    now: number,
  ): EventResult {
    const row = this.ctx.sql.findMessage.get(channel, messageId) as MessageRow;
    this.ctx.sql.countDelivery.run(now, row.id);
    this.ctx.journal(now, row.order_id, row.id, {
      kind: 'duplicate_delivery',
      detail: { messageId, redelivered: redelivered ?? false },
    });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    return {
      kind: 'duplicate',
      publish: redelivered ? (this.ctx.sql.unpublishedCausedBy.all(row.id) as MessageRow[]).map(toOut) : [],
    };
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run(() => {
      const rowId = this.ctx.insertMessage(
        {
          direction: 'in',
          channel: input.channel,
          type: input.type ?? 'unknown',
          messageId: input.messageId,
          orderId: input.orderId,
          state: 'invalid',
          reason: input.reason,
          payload: input.payload,
        },
        now,
      );
      if (rowId === undefined) {
        const row = this.ctx.sql.findMessage.get(input.channel, input.messageId) as MessageRow;
        this.ctx.sql.countDelivery.run(now, row.id);
      }
    });
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.ctx.commits.run(() => {
      for (const id of rowIds) this.ctx.sql.markPublished.run(now, id);
    });
  }
}
