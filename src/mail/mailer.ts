/**
 * Outgoing mail, behind one small interface so a provider (Cloudflare Email Service, Postmark,
 * SES, ...) can be plugged in without touching the actions that send. Nothing is sent yet: the
 * default implementation records and logs what would have been sent, minus the secret.
 */
export interface InvitationMail {
  kind: 'invitation';
  to: string;
  workspace: { id: string; name: string; slug: string };
  invitationId: string;
  role: string;
  expiresAt: string;
  /** Contains the single-use token: a secret. Only the recipient's mailbox may see it. */
  acceptUrl: string;
}

export type Mail = InvitationMail;

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/** A mail without its secret parts: what may be logged or kept. */
export type RedactedMail = Omit<Mail, 'acceptUrl'>;

export function redact(mail: Mail): RedactedMail {
  const { acceptUrl: _secret, ...rest } = mail;
  void _secret;
  return rest;
}
