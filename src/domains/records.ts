import type { DnsRecord, DomainStatus } from '../db/schema';
import type { HostnameState } from './cloudflare';

/**
 * What the customer must create at their DNS provider, from what Cloudflare answered: the CNAME
 * that sends the hostname's traffic to the platform, the TXT record that proves they own it, and
 * the TXT records the certificate authority checks before issuing its certificate.
 */
export function dnsRecordsFor(state: HostnameState, target: string): DnsRecord[] {
  return [
    { type: 'CNAME', name: state.hostname, value: target, purpose: 'routing' },
    ...(state.ownership ? [{ type: 'TXT' as const, name: state.ownership.name, value: state.ownership.value, purpose: 'ownership' as const }] : []),
    ...state.certificateRecords.map((r) => ({ type: 'TXT' as const, name: r.name, value: r.value, purpose: 'certificate' as const })),
  ];
}

/** The CNAME target customers point at: the SaaS zone's fallback origin. */
export function customDomainTarget(config: { CUSTOM_DOMAIN_TARGET?: string; BASE_DOMAIN: string }): string {
  return config.CUSTOM_DOMAIN_TARGET ?? `customers.${config.BASE_DOMAIN}`;
}

/**
 * Cloudflare's word as nchat's status. Only a hostname that is active with an active
 * certificate serves; moved (its DNS now points elsewhere), deleted and blocked ones stop for
 * good (the domain may have changed hands), as does a certificate whose validation timed out.
 */
export interface Verdict {
  status: DomainStatus;
  failureReason: string | null;
}

const GONE: Record<string, string> = {
  moved: 'The hostname no longer points at this platform (Cloudflare reports it moved).',
  deleted: 'Cloudflare deleted the hostname.',
  pending_deletion: 'Cloudflare is deleting the hostname.',
  blocked: 'Cloudflare blocked the hostname.',
  pending_blocked: 'Cloudflare is blocking the hostname.',
};
const SSL_FAILED = new Set(['validation_timed_out', 'issuance_timed_out', 'deployment_timed_out', 'initializing_timed_out', 'expired', 'deleted', 'inactive']);

export function verdictOf(state: HostnameState | null): Verdict {
  if (!state) return { status: 'failed', failureReason: 'The hostname is no longer registered at Cloudflare.' };
  const gone = GONE[state.status];
  if (gone) return { status: 'failed', failureReason: gone };
  if (state.sslStatus && SSL_FAILED.has(state.sslStatus)) {
    return { status: 'failed', failureReason: `The certificate could not be issued (${state.sslStatus.replace(/_/g, ' ')}). Check the DNS records, then refresh.` };
  }
  if (state.status === 'active' && state.sslStatus === 'active') return { status: 'active', failureReason: null };
  return { status: 'pending', failureReason: null };
}
