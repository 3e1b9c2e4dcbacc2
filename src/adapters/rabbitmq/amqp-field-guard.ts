import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { undecodableHeaders } from './inbound.js';

type FieldTable = Record<string | symbol, unknown>;
interface Codec {
  decodeFields(slice: Buffer): FieldTable;
}

const require = createRequire(import.meta.url);
const amqplibLib = join(dirname(require.resolve('amqplib')), 'lib');

/**
 * amqplib decodes AMQP field tables (message headers) recursively, inside its socket handler: a
 * header nested ~9,000 levels deep (it fits in one 128 KiB frame) overflowed the stack there, which
 * failed the whole connection; the broker redelivered the message to the next connection, which
 * failed the same way, and the gateway consumed nothing at all until the broker's delivery limit.
 * Its frame decoder takes decodeFields from the codec module when it loads, so the codec's export is
 * replaced before any other amqplib module loads (every runtime import of amqplib goes through
 * ./amqp.ts, which loads this first). The pipeline dead-letters a message so marked.
 */
function guardFieldDecoding(): void {
  if (require.cache[join(amqplibLib, 'defs.js')]) {
    throw new Error(
      'amqplib was loaded before its field-table guard: import it through src/adapters/rabbitmq/amqp.ts, never from "amqplib" directly',
    );
  }
  const codec = require(join(amqplibLib, 'codec.js')) as Codec;
  const decodeFields = codec.decodeFields;
  codec.decodeFields = (slice) => {
    try {
      return decodeFields(slice);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return { [undecodableHeaders]: `a field table of ${slice.length} bytes nested too deeply to decode` };
    }
  };
}

guardFieldDecoding();
