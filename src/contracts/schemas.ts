// Every JSON Schema in contracts/ the gateway itself uses, loaded as modules so the built gateway
// carries them. An MES dialect's schemas (contracts/mes/<dialect>/) are read from the files it names.
import attention from '../../contracts/external/attention.schema.json' with { type: 'json' };
import order from '../../contracts/external/order.schema.json' with { type: 'json' };
import orderPage from '../../contracts/external/order-page.schema.json' with { type: 'json' };
import orderRequest from '../../contracts/external/order-request.schema.json' with { type: 'json' };
import orderListQuery from '../../contracts/external/order-list-query.schema.json' with { type: 'json' };
import problem from '../../contracts/external/problem.schema.json' with { type: 'json' };
import orderEvent from '../../contracts/external/order-event.schema.json' with { type: 'json' };
import orderStatus from '../../contracts/external/order-status.schema.json' with { type: 'json' };
import statusChange from '../../contracts/external/status-change.schema.json' with { type: 'json' };
import statusModel from '../../contracts/external/status-model.schema.json' with { type: 'json' };
import crmCommon from '../../contracts/crm/common.schema.json' with { type: 'json' };
import crmCommand from '../../contracts/crm/command.schema.json' with { type: 'json' };
import crmOrderCreate from '../../contracts/crm/order-create.schema.json' with { type: 'json' };
import crmOrderCancel from '../../contracts/crm/order-cancel.schema.json' with { type: 'json' };
import crmOrderUpdate from '../../contracts/crm/order-update.schema.json' with { type: 'json' };
import crmFact from '../../contracts/crm/fact.schema.json' with { type: 'json' };
import crmPartnerOrder from '../../contracts/crm/partner-order.schema.json' with { type: 'json' };
import gatewayConfig from '../../contracts/config/gateway.schema.json' with { type: 'json' };
import dialectConfig from '../../contracts/config/dialect.schema.json' with { type: 'json' };
import dialectTests from '../../contracts/config/dialect-tests.schema.json' with { type: 'json' };
import report from '../../contracts/ops/report.schema.json' with { type: 'json' };

export const schemas = {
  attention,
  order,
  orderPage,
  orderListQuery,
  orderRequest,
  problem,
  orderEvent,
  orderStatus,
  statusChange,
  statusModel,
  crmCommon,
  crmCommand,
  crmOrderCreate,
  crmOrderCancel,
  crmOrderUpdate,
  crmFact,
  crmPartnerOrder,
  gatewayConfig,
  dialectConfig,
  dialectTests,
  report,
} as const;

export type SchemaName = keyof typeof schemas;
