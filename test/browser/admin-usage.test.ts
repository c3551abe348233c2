/**
 * The usage page, as an owner uses it: the month's use as bars against the plan's caps with the
 * 80 % and 100 % marks (the figures are the API's), the last twelve months drawn by the charting
 * library with the same figures as tables, a cap past its limit after a downgrade explained with
 * what to do, and a plan without analytics offered the upgrade. Screenshots and axe-core.
 */
import { describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl, type Person, type ViewportName, type Workspace } from './support';

async function createChannels(ws: Workspace, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const res = await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name, kind: 'public' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.channel.id);
  }
  return ids;
}

async function usageReport(ws: Workspace): Promise<Record<string, any>> {
  const res = await api.workspace(ws.slug, 'GET', '/api/tenant/usage', { token: ws.token });
  expect(res.status).toBe(200);
  return res.body;
}

async function openUsage(person: Person, ws: Workspace): Promise<void> {
  await person.page.goto(workspaceUrl(ws.slug, '/admin/usage'));
  await person.page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();
  await person.page.getByRole('meter', { name: 'People' }).waitFor();
}

const meter = (p: Person, name: string) => p.page.getByRole('meter', { name });

describe('usage', () => {
  test("a Pro workspace's month as bars against its limits, and its history as charts with the same figures", async () => {
    const ws = await api.createWorkspace({ name: 'Usage Co', plan: 'pro', trial: true });
    await createChannels(ws, ['random', 'design']);
    const general = (await api.workspace(ws.slug, 'GET', '/api/channels', { token: ws.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
    for (let i = 0; i < 5; i++) {
      const res = await api.workspace(ws.slug, 'POST', `/api/channels/${general}/messages`, { token: ws.token, body: { text: `message ${i}` } });
      expect(res.status).toBe(201);
    }
    const report = await usageReport(ws);
    expect(report.usage.messages).toBe(5);

    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openUsage(owner, ws);
    await owner.page.getByText(/This month on the Pro plan/).waitFor();
    expect(await meter(owner, 'People').getAttribute('aria-valuetext')).toBe(`${report.limits.users.used} of 100 people`);
    expect(await meter(owner, 'Channels').getAttribute('aria-valuetext')).toBe(`${report.limits.channels.used} of 50 channels`);
    expect(await meter(owner, 'Channels').getAttribute('aria-valuemax')).toBe('50');
    expect(await meter(owner, 'Storage').getAttribute('aria-valuetext')).toMatch(/of 100\.0 GB storage$/);
    // The API calls bar counts at least what this test itself has made.
    const apiCalls = Number(await meter(owner, 'API calls this month').getAttribute('aria-valuenow'));
    expect(apiCalls).toBeGreaterThanOrEqual(report.limits.apiCallsPerMonth.used);
    await owner.page.locator('.usage-bars li').filter({ hasText: 'Messages sent' }).getByText('5', { exact: true }).waitFor();
    // Each bar marks 80 % and 100 % of the limit (under the limit, the track is the limit).
    const marks = owner.page.locator('.usage-bar.state-ok').first().locator('.usage-mark');
    expect([await marks.nth(0).getAttribute('style'), await marks.nth(1).getAttribute('style')]).toEqual(['left: 80%;', 'left: 100%;']);

    // History: four charts drawn by recharts (SVG), each with its figures as a table.
    const charts = owner.page.locator('figure.usage-chart');
    await owner.page.locator('.usage-chart .recharts-surface').first().waitFor();
    expect(await charts.count()).toBe(4);
    expect(await owner.page.locator('.usage-chart .recharts-wrapper').count()).toBe(4);
    expect(await owner.page.locator('.usage-chart .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    const messagesChart = charts.filter({ hasText: 'Messages sent' });
    await messagesChart.getByText('Messages sent as a table').click();
    const rows = messagesChart.getByRole('row');
    expect(await rows.count()).toBe(13); // the header and twelve months
    const thisMonth = rows.last();
    expect(await thisMonth.getByRole('cell').textContent()).toBe('5');
    await screenshot(owner.page, 'usage-pro');
    await expectNoSeriousA11yViolations(owner.page);

    // An earlier month (stored figures, nothing yet) can be chosen.
    const months = await owner.page.getByRole('combobox', { name: 'Month' }).locator('option').allTextContents();
    expect(months).toHaveLength(12);
    await owner.page.getByRole('combobox', { name: 'Month' }).selectOption({ index: 1 });
    await owner.page.getByText(new RegExp(`^${months[1]} on the Pro plan`)).waitFor();
    expect(await meter(owner, 'People').getAttribute('aria-valuenow')).toBe('0');
    owner.expectNoErrors();
  });

  describe.each<ViewportName>(['desktop', 'mobile'])('after a downgrade, at %s width', (viewport) => {
    test('a limit the workspace is past is explained with what to do, and history is offered as an upgrade', async () => {
      const ws = await api.createWorkspace({ name: `Downgraded ${viewport}`, plan: 'free' });
      expect((await api.admin('PUT', `/api/tenants/${ws.id}`, { body: { plan: 'pro' } })).status).toBe(200);
      const existing = (await usageReport(ws)).limits.channels.used as number;
      await createChannels(ws, Array.from({ length: 6 - existing }, (_, i) => `c${i}`));
      const down = await api.admin('PUT', `/api/tenants/${ws.id}`, { body: { plan: 'free' } });
      expect(down.status, JSON.stringify(down.body)).toBe(200);
      const report = await usageReport(ws);
      expect(report.exceeded).toEqual([{ resource: 'channels', used: 6, limit: 5 }]);

      const owner = await newPerson('owner', { viewport });
      await owner.signIn(ws.slug, ws.token);
      await openUsage(owner, ws);
      const alert = owner.page.getByRole('alert').filter({ hasText: "This workspace is over its plan's limits." });
      await alert.getByText(/6 of 5 channels\. No new channels can be created: archive channels nobody uses, or upgrade\./).waitFor();
      await alert.getByRole('link', { name: 'See plans' }).waitFor();
      const channels = owner.page.locator('.usage-bar.state-over');
      await channels.getByText('Over the limit').waitFor();
      // Past the limit, the track is what is used: the 100 % mark sits at 5/6 of it.
      const limitMark = parseFloat(/left: ([\d.]+)%/.exec((await channels.locator('.usage-mark.limit').getAttribute('style')) ?? '')?.[1] ?? 'NaN');
      expect(limitMark).toBeCloseTo((5 / 6) * 100, 1);
      await owner.page.getByText('Usage history is not included in this workspace\'s plan.').waitFor();
      // Earlier months are there on any plan; only the charts need analytics.
      expect(await owner.page.getByRole('combobox', { name: 'Month' }).locator('option').count()).toBe(12);
      expect(await owner.page.locator('.recharts-surface').count()).toBe(0);
      expect(await owner.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
      await screenshot(owner.page, `usage-over-limit-${viewport}`);
      await expectNoSeriousA11yViolations(owner.page);

      await alert.getByRole('link', { name: 'See plans' }).click();
      await owner.page.getByRole('heading', { name: 'Billing and plan' }).waitFor();
      owner.expectNoErrors();
    });
  });

  test('at 80 % of a limit the bar says it is near', async () => {
    const ws = await api.createWorkspace({ name: 'Near Co', plan: 'free' });
    const before = (await usageReport(ws)).limits.channels.used as number;
    await createChannels(ws, Array.from({ length: 4 - before }, (_, i) => `near-${i}`));
    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openUsage(owner, ws);
    expect(await meter(owner, 'Channels').getAttribute('aria-valuetext')).toBe('4 of 5 channels');
    await owner.page.locator('.usage-bar.state-near').getByText('(80%)', { exact: false }).waitFor();
    await owner.page.locator('.usage-bar.state-near').getByText('Near the limit').waitFor();
    expect(await owner.page.getByRole('alert').count()).toBe(0);
  });
});
