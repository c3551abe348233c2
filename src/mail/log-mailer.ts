import type { Logger } from '../http/logger';
import { redact, type Mail, type Mailer, type RedactedMail } from './mailer';

/**
 * The default Mailer while no provider is configured: it sends nothing, logs one line per mail
 * and keeps the last few in memory for inspection — in both cases without the accept URL and
 * its token (anyone who can read logs could otherwise join any workspace). The API response
 * that created the invitation is the one place the URL is shown.
 */
export class LogMailer implements Mailer {
  static readonly KEEP = 50;
  readonly recorded: RedactedMail[] = [];

  constructor(private readonly log: Pick<Logger, 'info'>) {}

  async send(mail: Mail): Promise<void> {
    const safe = redact(mail);
    this.recorded.push(safe);
    if (this.recorded.length > LogMailer.KEEP) this.recorded.shift();
    // The recipient's domain only: the full address is personal data the log does not need.
    this.log.info('mail_not_sent', {
      kind: safe.kind,
      tenantId: safe.workspace.id,
      invitationId: safe.invitationId,
      toDomain: safe.to.split('@')[1] ?? null,
      reason: 'no mail provider configured',
    });
  }
}
