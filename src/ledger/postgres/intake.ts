import { decideCommandIntake, decideFactIntake, decideMesEventIntake } from '../decide-intake.js';
import { decideMesEvent } from '../decide-mes-event.js';
import { decideStatusFact } from '../decide-status.js';
import { ackDueAt } from '../decide-watchdog.js';
import type { OpenCommand } from '../model.js';
import { type MessageRow, toOut } from '../rows.js';
import type {
  CommandInput,
  CommandResult,
  CrmFactInput,
  EventResult,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import type { PgContext } from './context.js';
import type { Tx } from './group-commit.js';
import { sql } from './statements.js';

/** The pipeline's writes: each message in, what it decides, and the marks once the broker confirmed. */
export class PgIntake {
  constructor(private readonly ctx: PgContext) {}

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run({ orders: [input.orderId] }, (tx) => this.recordCommandIn(tx, input, now));
  }

  private async recordCommandIn(tx: Tx, input: CommandInput, now: number): Promise<CommandResult> {
    const inserted = await this.ctx.insertMessage(
      tx,
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
    if (inserted === undefined) return this.repeatedCommand(tx, input, now);

    const order = await this.ctx.loadOrder(tx, input.orderId);
    const creates =
      order && input.type === 'order.create'
        ? (await tx.query<{ n: number }>(sql.createsOfOrder, [input.orderId])).rows[0]!.n
        : 0;
    const intake = decideCommandIntake(input, order, creates);
    if (intake.kind === 'refused') {
      this.ctx.setMessageState(tx, inserted, 'dead_lettered', intake.reason, now);
      return intake;
    }
    if (intake.kind === 'create_order') this.ctx.insertOrder(tx, input, now);
    const outId = await this.ctx.insertMessage(
      tx,
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
  private async repeatedCommand(
    tx: Tx,
    { crmMessageId, redelivered }: CommandInput,
    now: number,
  ): Promise<CommandResult> {
    const row = await this.ctx.findMessage(tx, 'crm.command', crmMessageId);
    tx.send(sql.countDelivery, [now, row.id]);
    this.ctx.journal(tx, now, row.order_id, row.id, {
      kind: 'duplicate_delivery',
      detail: { messageId: crmMessageId, state: row.state, redelivered: redelivered ?? false },
    });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    if (row.state !== 'received' || !redelivered) return { kind: 'already_forwarded' };
    const out = (await tx.query<MessageRow>(sql.outOfCommand, [row.id])).rows[0]!;
    return { kind: 'forward', redelivery: true, out: toOut(out) };
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.ctx.commits.run({ messageRows: [out.rowId] }, async (tx) => {
      tx.send(sql.markForwarded, [out.rowId, now, ackDueAt(now, 1, this.ctx.policy.ack)]);
    });
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run({ orders: [input.fields.orderId] }, (tx) => this.recordMesEventIn(tx, input, now));
  }

  private async recordMesEventIn(
    tx: Tx,
    { fields, translation, type, traceId, redelivered, body }: MesEventInput,
    now: number,
  ): Promise<EventResult> {
    const rowId = await this.ctx.insertMessage(
      tx,
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
    if (rowId === undefined) return this.repeatedEvent(tx, 'mes.event', fields.eventId, redelivered, now);
    const intake = decideMesEventIntake(translation, await this.ctx.loadOrder(tx, fields.orderId));
    if (intake.kind === 'quarantined') {
      this.ctx.setMessageState(tx, rowId, 'quarantined', intake.reason, now);
      this.ctx.journal(tx, now, fields.orderId, rowId, intake.journal);
      return { kind: 'recorded', state: 'quarantined', publish: [] };
    }
    const { order } = intake;
    const open = (await tx.query<OpenCommand>(sql.openCommands, [order.orderId, order.createdAt])).rows;
    const decision = decideMesEvent(order, open, intake.translation, now, this.ctx.policy);
    this.ctx.setMessageState(tx, rowId, decision.eventState, decision.reason, now);
    if (decision.acknowledged) {
      const { command, outcome } = decision.acknowledged;
      tx.send(sql.closeCommand, [
        command.sourceRowId,
        outcome === 'accepted' ? 'acknowledged' : outcome,
        decision.acknowledged.reason,
        now,
      ]);
      tx.send(sql.clearDue, [now, command.rowId]);
    }
    if (decision.order) await this.ctx.updateOrder(tx, order, decision.order, now);
    for (const entry of decision.journal) this.ctx.journal(tx, now, order.orderId, rowId, entry);
    const publish = await this.ctx.queueChanges(tx, decision.changes, rowId, `mes:${fields.eventId}`, now);
    const acknowledged = decision.acknowledged && {
      outcome: decision.acknowledged.outcome,
      afterMs: now - decision.acknowledged.command.queuedAt,
    };
    return { kind: 'recorded', state: decision.eventState, publish, ...(acknowledged ? { acknowledged } : {}) };
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run({ orders: [input.orderId] }, async (tx) => {
      const rowId = await this.ctx.insertMessage(
        tx,
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
      if (rowId === undefined) return this.repeatedEvent(tx, 'crm.fact', input.messageId, input.redelivered, now);
      const intake = decideFactIntake(input.orderId, await this.ctx.loadOrder(tx, input.orderId));
      if (intake.kind === 'refused') {
        this.ctx.setMessageState(tx, rowId, 'dead_lettered', intake.reason, now);
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
      this.ctx.setMessageState(tx, rowId, decision.eventState, decision.reason, now);
      await this.ctx.updateOrder(tx, order, decision.order, now);
      for (const entry of decision.journal) this.ctx.journal(tx, now, order.orderId, rowId, entry);
      return {
        kind: 'recorded',
        state: decision.eventState,
        publish: await this.ctx.queueChanges(tx, decision.changes, rowId, `crm:${input.messageId}`, now),
      };
    });
  }

  /**
   * A repeated event changes nothing. A broker redelivery also sends again what the earlier
   * delivery caused and never saw confirmed; a duplicate copy leaves that to its first copy.
   */
  private async repeatedEvent(
    tx: Tx,
    channel: 'mes.event' | 'crm.fact',
    messageId: string,
    redelivered: boolean | undefined,
    now: number,
  ): Promise<EventResult> {
    const row = await this.ctx.findMessage(tx, channel, messageId);
    tx.send(sql.countDelivery, [now, row.id]);
    this.ctx.journal(tx, now, row.order_id, row.id, {
      kind: 'duplicate_delivery',
      detail: { messageId, redelivered: redelivered ?? false },
    });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    return {
      kind: 'duplicate',
      publish: redelivered ? (await tx.query<MessageRow>(sql.unpublishedCausedBy, [row.id])).rows.map(toOut) : [],
    };
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run({ orders: input.orderId ? [input.orderId] : [] }, async (tx) => {
      const rowId = await this.ctx.insertMessage(
        tx,
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
      if (rowId === undefined) tx.send(sql.countDeliveryOf, [now, input.channel, input.messageId]);
    });
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.ctx.commits.run({ messageRows: rowIds }, async (tx) => {
      tx.send(sql.markPublished, [now, rowIds]);
    });
  }
}
