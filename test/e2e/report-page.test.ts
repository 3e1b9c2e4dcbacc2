import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { produceReport } from '../../src/app/report/produce-report.js';
import { reportHtml } from '../../src/app/report/report-html.js';
import { fakeMes, mesReader, seededReportLedger, T0 } from '../helpers/report-ledger.js';
import { requireTool } from '../helpers/tools.js';

const artifacts = resolve(import.meta.dirname, '../../test-artifacts');

t.test(
  "the report page in headless Chromium: headline numbers, filters, a click opens the order's timeline",
  async (t) => {
    const executablePath = requireTool(t, 'chromium'); // on PATH, or $ORDERBRIDGE_CHROMIUM
    if (executablePath === undefined) return;
    const mes = await fakeMes(t, { 'A-ACKLOST': 'ACCEPTED', 'A-STUCK': 'CUTTING', 'A-OK': 'ACCEPTED' });
    const { ledger, config } = await seededReportLedger(t, mes.url);
    const now = T0 + 31 * 86_400_000;
    const { report, timelines } = await produceReport({
      config,
      ledger,
      from: T0 - 1000,
      to: now,
      now,
      lang: 'en',
      mes: mesReader(t, config),
    });
    mkdirSync(artifacts, { recursive: true });
    const page = join(artifacts, 'report.html');
    writeFileSync(page, reportHtml(report, 'en', timelines));

    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    t.teardown(() => browser.close());
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    await tab.goto(`file://${page}`);
    t.same(
      requests.filter((url) => !url.startsWith('file://')),
      [],
      'no request leaves the file: it works offline',
    );
    t.equal(await tab.textContent('[data-figure="commands.received"] .value'), '8', 'headline: commands received');
    t.equal(await tab.textContent('[data-figure="commands.lost"] .value'), '2', 'headline: lost');
    t.ok(await tab.isVisible('#chart rect'), 'the chart is drawn');
    t.equal(
      await tab.textContent('[data-figure="needsAction.total"] .value'),
      String(report.needsAction.total),
      'the headline: how many orders need a person',
    );
    t.ok(
      (await tab.locator('#needs-action').boundingBox())!.y < (await tab.locator('#commands').boundingBox())!.y,
      'the action list comes before every count',
    );
    t.same(
      await Promise.all((await tab.locator('#actions tr').all()).map((row) => row.getAttribute('data-order'))),
      report.needsAction.items.map((item) => item.orderId),
      'one row per order that needs a person, the most urgent first',
    );
    t.equal(
      await tab.getAttribute('#actions tr:first-child', 'data-suggestion'),
      'resend_to_mes',
      'an order the MES does not know first',
    );
    await tab.click('#actions tr[data-order="A-STUCK"]');
    t.equal(
      await tab.textContent('#timeline-order'),
      'A-STUCK',
      "a click on an action row opens that order's timeline",
    );
    t.match(await tab.textContent('#timeline-body'), /received order\.create[\s\S]*"attention":"stuck"/);
    await tab.click('#timeline button');
    const rows = await tab.locator('#rows tr').count();
    t.equal(rows, report.discrepancies.length, 'one row per discrepancy needing action');
    t.equal(
      await tab.getAttribute('#rows tr:first-child', 'data-kind'),
      'missing_in_mes',
      'the orders the MES lost come first',
    );

    await tab.selectOption('#kind', 'acknowledgement_lost');
    t.equal(await tab.locator('#rows tr:visible').count(), 2, 'the kind filter leaves the two acknowledgements lost');
    t.equal(await tab.textContent('#shown'), '2');
    await tab.selectOption('#kind', '');
    await tab.fill('#search', 'A-DUP');
    t.equal(await tab.locator('#rows tr:visible').count(), 1, 'the text filter finds the order');
    await tab.fill('#search', '');
    t.notOk(await tab.isVisible('#info-rows tr'), 'the informational discrepancies are collapsed under their counts');
    t.match(await tab.textContent('#informational summary'), /Informational, nothing to do \(1\): duplicate seen 1/);
    await tab.click('#informational summary');
    t.equal(await tab.locator('#info-rows tr:visible').count(), report.informational.total, 'a click shows each one');
    await tab.click('#info-rows tr[data-order="A-DUP"]');
    t.equal(await tab.textContent('#timeline-order'), 'A-DUP', "and each opens its order's timeline");
    t.match(await tab.textContent('#timeline-body'), /duplicate_delivery/);
    await tab.click('#timeline button');
    await tab.click('#informational summary');

    await tab.click('#rows tr[data-order="A-LOST"]');
    t.ok(await tab.isVisible('#timeline'), 'a click opens the timeline');
    t.equal(await tab.textContent('#timeline-order'), 'A-LOST');
    t.match(
      await tab.textContent('#timeline-body'),
      /received order\.create[\s\S]*command_lost[\s\S]*reconciled/,
      "the order's messages, the loss and what the MES said, in time order",
    );
    await tab.screenshot({ path: join(artifacts, 'report-timeline.png') });
    await tab.click('#timeline button');
    await tab.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    t.ok(existsSync(join(artifacts, 'report.png')), 'screenshot saved in test-artifacts/report.png');
  },
);
