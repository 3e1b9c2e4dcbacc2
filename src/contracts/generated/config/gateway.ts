/* Generated from contracts/config/gateway.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * amqp[s]://[user[:password]@]host[:port][/vhost][?options], percent-encoded (a vhost / is %2F).
 */
export type AmqpUrl = string;
export type AmqpName = string;
/**
 * A duration such as 500ms, 30s, 5m, 2h or 3d.
 */
export type Duration = string;
/**
 * A query parameter the route passes on: an integer within minimum..maximum, or a string of at most maxLength characters matching pattern.
 */
export type MesQueryParam = MesQueryParam1;
export type QueryName = string;

/**
 * config/gateway.yaml: broker topology, ledger, acknowledgement and stuck-order deadlines, HTTP, the MES API proxy and partners.
 */
export interface GatewayConfig {
  /**
   * The MES dialect: a folder holding dialect.yaml (contracts/config/dialect.schema.json), relative to the config folder. Env: ORDERBRIDGE_DIALECT.
   */
  dialect?: string;
  amqp: {
    /**
     * One broker: the same as urls with one entry. Give url or urls, not both. Overridden by AMQP_URL.
     */
    url?: string;
    /**
     * The nodes of a RabbitMQ cluster: the gateway connects to the first that answers and, when that connection drops, to the next (round-robin, with the reconnect backoff). Overridden by AMQP_URL (comma-separated).
     *
     * @minItems 1
     * @maxItems 64
     */
    urls?: AmqpUrl[];
    /**
     * Unacknowledged messages per consumer; they also form one ledger commit.
     */
    prefetch: number;
    /**
     * Larger messages are dead-lettered unread.
     */
    maxMessageBytes: number;
    queueType: 'quorum' | 'classic';
    /**
     * Replicas of each quorum queue when it is first declared (x-quorum-initial-group-size): the cluster's node count, or an odd number below it. Unset: every node of the cluster. Set it before the queues exist: RabbitMQ refuses a re-declaration with another value (PRECONDITION_FAILED); resize existing queues with rabbitmq-queues grow/shrink.
     */
    quorumInitialGroupSize?: number;
    exchanges: {
      /**
       * Where partners' POSTed orders go to the CRM.
       */
      partnerOrders: string;
      crmCommands: AmqpName;
      crmEvents: AmqpName;
      mesCommands: AmqpName;
      mesEvents: AmqpName;
      orderEvents: AmqpName;
      deadLetter: AmqpName;
    };
    queues: {
      /**
       * CRM commands, consumed by the gateway.
       */
      crmCommands: string;
      /**
       * CRM-owned facts, consumed by the gateway.
       */
      crmEvents: string;
      /**
       * MES events, consumed by the gateway.
       */
      mesEvents: string;
      /**
       * Commands for the MES, bound to the MES command exchange; the MES consumes it.
       */
      mesCommands: string;
      /**
       * External order events for the CRM, bound to the order event exchange; the CRM consumes it.
       */
      crmOrderEvents: string;
      /**
       * Partners' orders for the CRM, bound to the partner order exchange; the CRM consumes it.
       */
      crmPartnerOrders: string;
      deadLetter: AmqpName;
    };
    reconnect: {
      initialDelay: Duration;
      maxDelay: Duration;
    };
  };
  ledger: {
    driver: 'sqlite' | 'postgres';
    /**
     * SQLite file; overridden by ORDERBRIDGE_LEDGER_PATH.
     */
    path: string;
    /**
     * PostgreSQL URL when driver is postgres; overridden by DATABASE_URL.
     */
    url?: string;
    /**
     * FULL: a commit survives power loss. NORMAL trades that for speed; only with a reason.
     */
    synchronous: 'FULL' | 'NORMAL';
    /**
     * Keep each inbound MES message as it arrived (pruned with the retention), so `test-mapping --against-ledger` can run a changed dialect over what the MES really sent. Default true.
     */
    keepMesEventBodies?: boolean;
    retention: Duration;
  };
  acknowledgement: {
    /**
     * A duration such as 500ms, 30s, 5m, 2h or 3d.
     */
    deadline: string;
    /**
     * Forwards in all (the first one included) before the order is flagged lost.
     */
    maxAttempts: number;
    /**
     * Each re-forward waits deadline × backoff^(attempt-1).
     */
    backoff: number;
    /**
     * Ask the MES API whether it knows the order before flagging it lost.
     */
    evidenceLookup: boolean;
  };
  stuck: {
    /**
     * A duration such as 500ms, 30s, 5m, 2h or 3d.
     */
    checkInterval: string;
    /**
     * How long an order may stay in a status before it is flagged stuck. Statuses left out are never stuck (e.g. terminal ones).
     */
    deadlines: {
      [k: string]: Duration;
    };
  };
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /**
     * Request line and headers together; more is a 431 (414 for the URL alone) problem. Default 16384 (Node's).
     */
    maxHeaderBytes?: number;
    /**
     * A duration such as 500ms, 30s, 5m, 2h or 3d.
     */
    headersTimeout?: string;
    /**
     * A duration such as 500ms, 30s, 5m, 2h or 3d.
     */
    requestTimeout?: string;
    /**
     * A duration such as 500ms, 30s, 5m, 2h or 3d.
     */
    keepAliveTimeout?: string;
    /**
     * Open connections at most; more are closed as they arrive. Default 1000.
     */
    maxConnections?: number;
    /**
     * How many gateways serve partners behind one load balancer. Each allows a partner 1/replicas of its requestsPerSecond (rounded up): the limits are not shared, so the balancer must spread a partner's requests evenly. Default 1.
     */
    replicas?: number;
  };
  /**
   * The Prometheus /metrics listener: its own host and port, apart from the partner API, because it shows business volumes and has no key. Default 127.0.0.1:9464.
   */
  metrics?: {
    /**
     * Keep it on loopback or a network only Prometheus reaches. Overridden by ORDERBRIDGE_METRICS_HOST.
     */
    host?: string;
    /**
     * 0 picks a free port. Overridden by ORDERBRIDGE_METRICS_PORT.
     */
    port?: number;
  };
  /**
   * Bounds every input (HTTP bodies and each AMQP input) must keep before it is parsed and validated.
   */
  input?: {
    /**
     * Deepest nesting of objects and arrays accepted; deeper JSON is refused before it is parsed (HTTP 400, AMQP dead letter too_deep). Default 64.
     */
    maxJsonDepth?: number;
  };
  /**
   * The MES API and the circuit-broken, cached read proxy in front of it. timeout bounds one MES call, body included, and the wait for a free call slot.
   */
  mesApi: {
    baseUrl: string;
    timeout: Duration;
    /**
     * A larger MES answer is refused (502) while it streams in, never buffered whole.
     */
    maxBodyBytes: number;
    /**
     * An opossum circuit breaker around every MES call; after resetTimeout open, one probe call tests the MES (half-open).
     */
    breaker: {
      /**
       * The circuit opens when more than this share of MES calls in the last 10 s failed or timed out.
       */
      errorThresholdPercentage: number;
      /**
       * Calls in the window before the circuit may open at all.
       */
      volumeThreshold: number;
      resetTimeout: Duration;
      /**
       * MES calls in flight at once (after coalescing: one per distinct key).
       */
      maxConcurrent: number;
      /**
       * Calls waiting for a free slot, each at most `timeout`; beyond this they are answered from the cache or with a 503 at once.
       */
      maxQueued: number;
    };
    /**
     * A retry budget: a failed MES call is retried once, and only while retries stay under budgetPercent of the calls in the window (never while the circuit is not closed, never after a timeout).
     */
    retry: {
      budgetPercent: number;
      /**
       * Retries always allowed per window, so a quiet gateway can still ride over a single dropped connection.
       */
      minPerWindow: number;
      window: Duration;
    };
    /**
     * ttl: freshness of a per-order answer (the order's MES events end it earlier). staleWhileRevalidate: after ttl, an answer is still served at once while one background call refreshes it (not once an MES event invalidated it). staleIfError: how long after going stale an answer may stand in, labelled stale, when the MES fails or the circuit is open.
     */
    cache: {
      maxEntries: number;
      /**
       * Bodies held in all, least recently used evicted first.
       */
      maxBytes: number;
      ttl: Duration;
      staleWhileRevalidate: Duration;
      staleIfError: Duration;
    };
    /**
     * MES read routes proxied as GET /mes/<name> with their own ttl; only the listed query parameters pass, within their bounds.
     */
    routes: MesReadRoute[];
  };
  /**
   * Delivery of partner webhooks: one attempt's timeout, attempts in flight, the dispatcher's tick, and the waits between retries (full jitter up to each).
   */
  webhooks: {
    timeout: Duration;
    maxConcurrent: number;
    checkInterval: Duration;
    /**
     * @minItems 1
     * @maxItems 30
     */
    retrySchedule: Duration[];
  };
  partners: {
    /**
     * The partner (or channel) the order belongs to.
     */
    id: string;
    name: string;
    /**
     * SHA-256 (hex) of the partner's API key; the key itself never goes in config.
     */
    apiKeySha256: string;
    requestsPerSecond?: number;
    /**
     * partner (default): its own orders only. operator: MES operator screens, may read every order's MES data and the MES read routes.
     */
    role?: 'partner' | 'operator';
    /**
     * Endpoints that receive this partner's order events (Standard Webhooks).
     *
     * @maxItems 10
     */
    webhooks?: {
      url: string;
      /**
       * The environment variable holding the signing secret (whsec_...); secrets never go in config files.
       */
      secretEnv: string;
      /**
       * Allow loopback, private and link-local addresses (on-premise partners, tests).
       */
      allowPrivateTargets?: boolean;
      eventTypes?: (
        | 'dev.orderbridge.order.status_changed'
        | 'dev.orderbridge.order.acknowledged'
        | 'dev.orderbridge.order.attention_raised'
        | 'dev.orderbridge.order.attention_cleared'
      )[];
    }[];
  }[];
}
export interface MesReadRoute {
  /**
   * a lower-case name such as worklist, served as GET /mes/<name> (not "orders": that is the per-order route)
   */
  name: string;
  /**
   * the MES path from baseUrl, such as /worklist, without a query or ".."
   */
  path: string;
  ttl: Duration;
  staleWhileRevalidate?: Duration;
  /**
   * @maxItems 16
   */
  query: MesQueryParam[];
}
export interface MesQueryParam1 {
  name: QueryName;
  type: 'integer' | 'string';
  minimum?: number;
  maximum?: number;
  /**
   * a regular expression the whole value must match
   */
  pattern?: string;
  maxLength?: number;
  /**
   * Sent when the client gives none, so that both share one cache entry.
   */
  default?: number | string;
}
