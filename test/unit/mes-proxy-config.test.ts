import t from 'tap';
import { ConfigError, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { copyConfig, defaultConfigDir } from '../helpers/config-dir.js';

function problemsOf(dir: string): ConfigProblem[] {
  try {
    loadConfig({ dir, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be invalid');
}

t.test('the default config has the proxy settings and the work-list route', async (t) => {
  const { mesApi } = loadConfig({ dir: defaultConfigDir, env: {} }).gateway;
  t.match(mesApi, {
    breaker: { maxConcurrent: Number, maxQueued: Number },
    retry: { budgetPercent: 10, window: '10s' },
    cache: { staleWhileRevalidate: String, staleIfError: String, maxBytes: Number },
    routes: [
      {
        name: 'worklist',
        path: '/worklist',
        ttl: '5s',
        query: [{ name: 'limit', type: 'integer', minimum: 1, maximum: 1000, default: 100 }],
      },
    ],
  });
});

t.test('bad read routes are reported with their path and a fix', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit('gateway.yaml', (s) =>
    s
      .replace('    - name: worklist', '    - name: orders')
      .replace('path: /worklist', 'path: /../admin')
      .replace(
        '{ name: limit, type: integer, minimum: 1, maximum: 1000, default: 100 }',
        "{ name: limit, type: integer, minimum: 1 }\n        - { name: wc, type: string, pattern: '[A-Z', maxLength: 5 }",
      ),
  );
  const problems = problemsOf(config.dir);
  t.match(problems, [
    { pointer: '/mesApi/routes/0/name', fix: /not "orders"/ },
    { pointer: '/mesApi/routes/0/path', fix: /without a query or "\.\."/ },
    { pointer: '/mesApi/routes/0/query/0/maximum', message: /missing required field/ },
    { pointer: '/mesApi/routes/0/query/1/pattern', message: /not a valid regex/ },
  ]);
  t.equal(problems.length, 4);
});
