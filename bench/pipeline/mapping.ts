/**
 * The dialect's per-message cost, in this process: writing an MES command from a CRM create (the
 * template, then the dialect's command schema) and reading an MES message (its event schema, its
 * paths, the state's translation), per shipped dialect. Medians of 5 rounds of 20,000 messages.
 */
import { performance } from 'node:perf_hooks';
import { dialectCommandWriter } from '../../src/app/forward-crm-command.js';
import { dialectMessageReader } from '../../src/app/read-messages.js';
import { loadConfig } from '../../src/config/index.js';
import type { CrmCommand } from '../../src/contracts/generated/crm/command.js';
import { translate } from '../../src/mapping/index.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { createCommand } from './load.js';
import { median } from '../shared/figures.js';

/** One MES message per shipped dialect, as its MES sends it. */
const sampleEvents: Record<string, unknown> = {
  'mes/reference': {
    header: { eventId: 'ev-1', eventType: 'ORDER_STATE_CHANGED', createdAt: '2026-12-06T10:00:00Z' },
    order: { externalRef: 'B-1', mesOrderNo: 'M-1', state: 'CUTTING' },
  },
  'mes/line-controller': { seq: 1, job: { ref: 'B-1 ' }, changes: [{ code: 20, atMs: 1_780_000_000_000 }] },
};

export interface MappingCost {
  dialect: string;
  writeCommandUs: number;
  readEventUs: number;
}

function microsPerCall(count: number, call: (i: number) => void): number {
  const rounds = Array.from({ length: 5 }, () => {
    const start = performance.now();
    for (let i = 0; i < count; i++) call(i);
    return ((performance.now() - start) * 1000) / count;
  });
  return median(rounds);
}

export function mappingCosts(count = 20_000): MappingCost[] {
  return Object.entries(sampleEvents).map(([dialect, event]) => {
    const config = loadConfig({ dir: defaultConfigDir, env: { ORDERBRIDGE_DIALECT: dialect } });
    const write = dialectCommandWriter(config);
    const read = dialectMessageReader(config);
    const command = createCommand('B-1', 'crm-B-1', '2026-12-06T10:00:00Z') as CrmCommand;
    const writeCommandUs = microsPerCall(count, (i) => {
      if (!write(command, `ob-${i}`, 1_780_000_000_000).ok)
        throw new Error(`${dialect}: the sample command did not build`);
    });
    const readEventUs = microsPerCall(count, () => {
      const changes = read(event);
      if (!changes.ok) throw new Error(`${dialect}: the sample event did not read: ${changes.error}`);
      for (const { fields } of changes.value) translate(fields, config.dialect.states);
    });
    return { dialect, writeCommandUs, readEventUs };
  });
}

export function describeMappingCosts(costs: MappingCost[]): string[] {
  return [
    'mapping per message (in process, median of 5 × 20,000):',
    ...costs.map(
      (c) =>
        `  ${c.dialect.padEnd(22)} write MES command ${c.writeCommandUs.toFixed(2)} µs, read MES event ${c.readEventUs.toFixed(2)} µs`,
    ),
  ];
}
