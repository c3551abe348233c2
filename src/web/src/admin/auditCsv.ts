import type { AuditEntry } from '../api/types';

/**
 * Audit entries as CSV (RFC 4180: every field quoted, quotes doubled, CRLF line ends). A field
 * that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote mark.
 */
const COLUMNS = ['time', 'action', 'actor type', 'actor id', 'target type', 'target id', 'old values', 'new values', 'ip address', 'request id'] as const;

function cell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function auditCsv(entries: readonly AuditEntry[]): string {
  const rows = entries.map((e) => [e.createdAt, e.action, e.actor.type, e.actor.id, e.resource.type, e.resource.id, e.oldValues, e.newValues, e.ipAddress, e.requestId].map(cell).join(','));
  return [COLUMNS.map(cell).join(','), ...rows].join('\r\n') + '\r\n';
}
