/**
 * The reference MES's own workflow, the one config/mes/reference/dialect.yaml describes under `next`. Pure: it
 * says where an order goes next, the production loop decides when.
 */
export const mainLine = [
  'ACCEPTED',
  'PLANNING',
  'MATERIAL_RESERVATION',
  'CUTTING',
  'MACHINING',
  'WELDING',
  'ASSEMBLY',
  'QC_INSPECTION',
  'PACKING',
  'READY_FOR_DISPATCH',
  'DISPATCHED',
] as const;

export type MainLineState = (typeof mainLine)[number];
export type MesState = MainLineState | 'QC_FAILED' | 'REWORK' | 'ERROR' | 'CANCELLED' | 'REJECTED';

/** States an order never leaves. */
export const finalStates: ReadonlySet<MesState> = new Set(['DISPATCHED', 'CANCELLED', 'REJECTED']);

/** States that belong on the operators' work list: the order is somewhere on the shop floor. */
export const workListStates: ReadonlySet<MesState> = new Set([
  'PLANNING',
  'MATERIAL_RESERVATION',
  'CUTTING',
  'MACHINING',
  'WELDING',
  'ASSEMBLY',
  'QC_INSPECTION',
  'QC_FAILED',
  'REWORK',
  'PACKING',
  'ERROR',
]);

/**
 * Operations a processing error may interrupt. Each one's successor on the main line is one the
 * mapping lets ERROR resume into, so an errored order rejoins production one operation further on.
 */
export const errorProneStates = [
  'CUTTING',
  'MACHINING',
  'WELDING',
  'ASSEMBLY',
] as const satisfies readonly MainLineState[];

export const workCenters: Partial<Record<MesState, string>> = {
  CUTTING: 'SAW-01',
  MACHINING: 'CNC-02',
  WELDING: 'WELD-01',
  ASSEMBLY: 'ASM-03',
  QC_INSPECTION: 'QC-01',
  REWORK: 'RWK-01',
  PACKING: 'PACK-01',
};

/** What an order has been through so far; the workflow reads it to choose the next state. */
export interface WalkProgress {
  state: MesState;
  qcFailedOnce: boolean;
  errored: boolean;
  /** Where an order in ERROR resumes. */
  resumeInto?: MesState;
}

/** The order's fate, fixed when it is created. */
export interface WalkPlan {
  qcFail: boolean;
  errorAt?: MesState;
}

export interface NextStep {
  state: MesState;
  /** How many step durations the order stays in `state` before moving on. */
  dwellSteps: number;
}

/** Where an order moves next, or undefined when it has arrived (or must not move on its own). */
export function nextStep(progress: WalkProgress, plan: WalkPlan): NextStep | undefined {
  const { state } = progress;
  if (finalStates.has(state)) return undefined;
  if (plan.errorAt === state && !progress.errored) return { state: 'ERROR', dwellSteps: 2 };
  switch (state) {
    case 'ERROR':
      return progress.resumeInto ? { state: progress.resumeInto, dwellSteps: 1 } : undefined;
    case 'QC_INSPECTION':
      return plan.qcFail && !progress.qcFailedOnce
        ? { state: 'QC_FAILED', dwellSteps: 1 }
        : { state: 'PACKING', dwellSteps: 1 };
    case 'QC_FAILED':
      return { state: 'REWORK', dwellSteps: 1 };
    case 'REWORK':
      return { state: 'QC_INSPECTION', dwellSteps: 1 };
    default:
      return { state: successorOnMainLine(state), dwellSteps: 1 };
  }
}

/** The progress after moving to `step`, recording the detours already taken. */
export function advance(progress: WalkProgress, step: NextStep): WalkProgress {
  const from = progress.state;
  return {
    state: step.state,
    qcFailedOnce: progress.qcFailedOnce || step.state === 'QC_FAILED',
    errored: progress.errored || step.state === 'ERROR',
    resumeInto: step.state === 'ERROR' ? successorOnMainLine(from) : undefined,
  };
}

function successorOnMainLine(state: MesState): MesState {
  const index = mainLine.indexOf(state as MainLineState);
  if (index < 0 || index === mainLine.length - 1) throw new Error(`${state} has no successor on the main line`);
  return mainLine[index + 1]!;
}
