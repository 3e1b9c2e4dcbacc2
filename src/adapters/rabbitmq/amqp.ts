// amqplib, with its field-table decoding guarded first (./amqp-field-guard.ts says why). Every
// runtime import of amqplib in this repository goes through here; type-only imports need not.
import './amqp-field-guard.js';

export { connect } from 'amqplib';
