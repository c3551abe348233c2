import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { LogMailer } from './log-mailer';
import type { Mailer } from './mailer';

export type { InvitationMail, Mail, Mailer, RedactedMail } from './mailer';
export { LogMailer } from './log-mailer';

/** The request's mailer. Until a provider is configured: the logging one. */
export function mailerFor(c: Context<AppEnv>): Mailer {
  return new LogMailer(c.get('log'));
}
