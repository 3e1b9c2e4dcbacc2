export { startMesSimulator, type MesSimulator, type MesSimulatorOptions } from './simulator.js';
export { parseMesArgs, mesDefaults, mesUsage, type MesSettings } from './options.js';
export { planFaults, type FaultPlan, type FaultShares, type OrderFault } from './fault-plan.js';
export type { MesStats } from './stats.js';
export { mainLine, type MesState } from './workflow.js';
