// The status model and MES mapping: pure functions, no I/O. Every status rule lives here.
export { orderStatuses, isOrderStatus, rankOf, isTerminal, canMove, movesFrom, type OrderStatus } from './status-model.js';
export { readPointer } from './json-pointer.js';
export { readMesEvent, type MesEventFields, type ReadMesEventResult } from './read-mes-event.js';
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
