export {
  loadConfig,
  readConfigFile,
  byPosition,
  configFiles,
  displayPath,
  locateProblem,
  ConfigError,
  type Config,
  type ConfigProblem,
  type LoadConfigOptions,
} from './load-config.js';
export { formatConfigProblem } from './format-problem.js';
export {
  yamlLocator,
  yamlLocation,
  formatLocation,
  type Anchor,
  type YamlLocator,
  type YamlPosition,
  type YamlScalar,
} from './yaml-locator.js';
export { yamlTypeTrap } from './yaml-traps.js';
export { durationMs } from './duration.js';
export { brokerUrls } from './broker-urls.js';
export { envOverrides, type Env } from './env-overrides.js';
export { withGatewayOverrides, type DeepPartial } from './override.js';
