// The status model and the MES dialect's rules: pure functions, no I/O. Every status rule lives here.
export {
  orderStatuses,
  isOrderStatus,
  rankOf,
  isTerminal,
  canMove,
  movesFrom,
  type OrderStatus,
} from './status-model.js';
export { readPointer, pointerReader } from './json-pointer.js';
export { describe, readText, readTime } from './coerce.js';
export {
  mesEventReader,
  readMesEvent,
  untypedEvent,
  type MesChange,
  type MesEventFields,
  type ReadMesEventResult,
} from './read-mes-event.js';
export { mesCommandWriter, type BuiltCommand, type CommandCheck } from './mes-command.js';
export { translate, type Translation, type Quarantine, type Acknowledgement } from './translate.js';
export {
  applyStatus,
  initialOrderState,
  type ApplyOutcome,
  type FactSource,
  type OrderState,
  type StatusFact,
} from './apply-status.js';
export { lintMapping, type LintFinding } from './lint-mapping.js';
export { checkDialect, dialectErrors, type DialectSchemas } from './check-dialect.js';
export type { DialectFinding } from './dialect-finding.js';
export type { CommandProblem, ValidateCommand } from './check-samples.js';
export { crmSamples } from './crm-samples.js';
export {
  orderLookupTarget,
  readOrderAnswer,
  isUnknownStatus,
  needsBody,
  type OrderLookup,
  type OrderAnswer,
} from './order-lookup.js';
export { acknowledgedBy } from './acknowledgement.js';
