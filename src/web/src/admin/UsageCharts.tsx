import type { ReactNode } from 'react';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { UsageHistory } from '../api/types';
import { formatBytes, formatCount, formatMonth } from '../lib/format';
import { brandColours } from '../tenant/branding';
import { useTenant } from '../tenant/TenantProvider';

/**
 * The last twelve months as charts (recharts, in a chunk of its own). Each chart has its figures
 * as a table beside it, for screen readers and for people who want the numbers.
 */
interface Row {
  period: string;
  month: string;
  messages: number;
  apiCalls: number;
  users: number;
  channels: number;
  storageBytes: number;
}

const GRID = '#d9dbe1';
const TEXT = '#4b5060';

export default function UsageCharts({ history }: { history: UsageHistory }) {
  const { tenant } = useTenant();
  const colours = brandColours(tenant?.branding);
  const rows: Row[] = history.months.map((m) => ({
    period: m.period,
    month: formatMonth(m.period, true),
    messages: m.usage.messages,
    apiCalls: m.usage.apiCalls,
    users: m.usage.usersTotal,
    channels: m.usage.channels,
    storageBytes: m.usage.storageBytes,
  }));
  const apiLimit = history.limits.apiCallsPerMonth;
  const axis = { stroke: TEXT, tick: { fill: TEXT, fontSize: 12 } };
  return (
    <div className="usage-charts">
      <Chart title="Messages sent" rows={rows} columns={[{ key: 'messages', label: 'Messages', format: formatCount }]}>
        <BarChart accessibilityLayer={false} data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} vertical={false} />
          <XAxis dataKey="month" {...axis} />
          <YAxis {...axis} tickFormatter={compact} width={48} allowDecimals={false} />
          <Tooltip formatter={(v) => formatCount(Number(v))} />
          <Bar dataKey="messages" name="Messages" fill={colours.primary} radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </Chart>
      <Chart title="API calls" rows={rows} columns={[{ key: 'apiCalls', label: 'API calls', format: formatCount }]} note={apiLimit !== null ? `The dashed line is the plan's ${formatCount(apiLimit)} a month.` : undefined}>
        <BarChart accessibilityLayer={false} data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} vertical={false} />
          <XAxis dataKey="month" {...axis} />
          <YAxis {...axis} tickFormatter={compact} width={48} allowDecimals={false} domain={[0, (max: number) => Math.max(max, apiLimit ?? 0)]} />
          <Tooltip formatter={(v) => formatCount(Number(v))} />
          <Bar dataKey="apiCalls" name="API calls" fill={colours.accent} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          {apiLimit !== null ? <ReferenceLine y={apiLimit} stroke="#b42318" strokeDasharray="6 4" label={{ value: 'limit', position: 'insideTopRight', fill: '#b42318', fontSize: 12 }} /> : null}
        </BarChart>
      </Chart>
      <Chart
        title="People and channels"
        rows={rows}
        columns={[
          { key: 'users', label: 'People', format: formatCount },
          { key: 'channels', label: 'Channels', format: formatCount },
        ]}
      >
        <LineChart accessibilityLayer={false} data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} vertical={false} />
          <XAxis dataKey="month" {...axis} />
          <YAxis {...axis} width={48} allowDecimals={false} />
          <Tooltip />
          <Legend />
          <Line type="monotone" dataKey="users" name="People" stroke={colours.primary} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
          <Line type="monotone" dataKey="channels" name="Channels" stroke={colours.accent} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
        </LineChart>
      </Chart>
      <Chart title="Storage" rows={rows} columns={[{ key: 'storageBytes', label: 'Storage', format: formatBytes }]}>
        <AreaChart accessibilityLayer={false} data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} vertical={false} />
          <XAxis dataKey="month" {...axis} />
          <YAxis {...axis} tickFormatter={(v: number) => formatBytes(v)} width={64} />
          <Tooltip formatter={(v) => formatBytes(Number(v))} />
          <Area type="monotone" dataKey="storageBytes" name="Storage" stroke={colours.primary} fill={colours.primarySoft} isAnimationActive={false} />
        </AreaChart>
      </Chart>
    </div>
  );
}

function compact(n: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

interface Column {
  key: keyof Row;
  label: string;
  format: (n: number) => string;
}

function Chart({ title, rows, columns, note, children }: { title: string; rows: Row[]; columns: Column[]; note?: string; children: ReactNode }) {
  const id = `chart-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <figure className="usage-chart" aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      <div className="usage-chart-canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={220}>
          {children}
        </ResponsiveContainer>
      </div>
      {note ? <p className="hint">{note}</p> : null}
      <details>
        <summary>{title} as a table</summary>
        <div className="table-scroll">
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Month</th>
                {columns.map((c) => (
                  <th scope="col" key={c.key}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.period}>
                  <th scope="row">{formatMonth(r.period)}</th>
                  {columns.map((c) => (
                    <td key={c.key}>{c.format(r[c.key] as number)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
