export { startCrmSimulator, type CrmSimulator, type CrmSimulatorOptions } from './simulator.js';
export { parseCrmArgs, crmDefaults, crmUsage, type CrmSettings, type CrmCliSettings } from './options.js';
export { orderIdFor } from './order-generator.js';
export { progressLine, type CrmReport, type FinishedBy } from './report.js';
