// A hostile publisher, run in its own process with a larger stack (amqplib encodes field tables
// recursively): publishes one message whose header "deep" nests DEPTH tables, with confirms.
//   node --stack-size=7000 test/helpers/publish-deep-headers.mjs URL EXCHANGE ROUTING_KEY DEPTH BODY
import { connect } from 'amqplib';

const [url, exchange, routingKey, depth, body] = process.argv.slice(2);
let deep = { leaf: 1 };
for (let i = 0; i < Number(depth); i++) deep = { a: deep };
const connection = await connect(url);
const channel = await connection.createConfirmChannel();
channel.publish(exchange, routingKey, Buffer.from(body), {
  persistent: true,
  headers: { deep, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
});
await channel.waitForConfirms();
await connection.close();
