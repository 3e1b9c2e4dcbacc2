import { seededFraction } from '../shared/seeded.js';
import { errorProneStates, type MesState } from './workflow.js';

export interface FaultShares {
  drop: number;
  stall: number;
  reject: number;
  error: number;
  /** Orders that fail their first quality inspection and go through rework: normal life, not a fault. */
  qcFail: number;
}

export type OrderFault = 'dropped' | 'stalled' | 'rejected' | 'errored';

export interface FaultPlan {
  fault?: OrderFault;
  /** For errored orders: the operation in which the processing error happens. */
  errorAt?: MesState;
  qcFail: boolean;
}

/**
 * Which fault hits an order, fixed by the seed and the order's external reference alone, so a test
 * can predict the affected orders. The faults exclude each other: one draw falls into consecutive
 * ranges [drop][stall][reject][error], so each share is met exactly in expectation.
 */
export function planFaults(externalRef: string, shares: FaultShares, seed: number): FaultPlan {
  const draw = seededFraction(seed, 'fault', externalRef);
  const qcFail = seededFraction(seed, 'qc', externalRef) < shares.qcFail;
  const ranges: [OrderFault, number][] = [
    ['dropped', shares.drop],
    ['stalled', shares.stall],
    ['rejected', shares.reject],
    ['errored', shares.error],
  ];
  let upper = 0;
  for (const [fault, share] of ranges) {
    upper += share;
    if (draw < upper) {
      if (fault !== 'errored') return { fault, qcFail };
      const at = errorProneStates[Math.floor(seededFraction(seed, 'error-at', externalRef) * errorProneStates.length)]!;
      return { fault, errorAt: at, qcFail };
    }
  }
  return { qcFail };
}
