/* Generated from contracts/config/gateway.schema.json by npm run contracts. Do not edit: change the schema. */

export type AmqpName = string;
/**
 * A duration such as 500ms, 30s, 5m, 2h or 3d.
 */
export type Duration = string;

/**
 * config/gateway.yaml: broker topology, ledger, acknowledgement and stuck-order deadlines, HTTP, the MES API proxy and partners.
 */
export interface GatewayConfig {
  amqp: {
    /**
     * Overridden by AMQP_URL.
     */
    url: string;
    /**
     * Unacknowledged messages per consumer; they also form one ledger commit.
     */
    prefetch: number;
    /**
     * Larger messages are dead-lettered unread.
     */
    maxMessageBytes: number;
    queueType: 'quorum' | 'classic';
    exchanges: {
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
  };
  mesApi: {
    baseUrl: string;
    timeout: Duration;
    breaker: {
      errorThresholdPercentage: number;
      volumeThreshold: number;
      resetTimeout: Duration;
      maxConcurrent: number;
    };
    cache: {
      maxEntries: number;
      ttl: Duration;
      staleIfError: Duration;
    };
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
  }[];
}
