import { z } from 'zod';

/**
 * The fields of a Stripe event the webhook reads, checked before anything is stored. A valid
 * signature proves who sent an event, not that it has the shape its type promises (a hand-signed
 * test event, a future API version): an event that does not fit is refused with a 400 and no
 * trace, instead of failing deep inside a handler (a 500 that Stripe would retry for days).
 * Fields not listed pass through untouched.
 */
const id = z.string().min(1).max(255);
const ref = z.union([id, z.looseObject({ id })]);
const metadata = z.record(z.string(), z.string()).nullish();

const checkoutSession = z.looseObject({
  object: z.literal('checkout.session'),
  id,
  customer: ref.nullish(),
  subscription: ref.nullish(),
  client_reference_id: z.string().max(255).nullish(),
  metadata,
});

const subscription = z.looseObject({
  object: z.literal('subscription'),
  id,
  customer: ref,
  metadata,
});

const invoice = z.looseObject({
  object: z.literal('invoice'),
  id: id.nullish(),
  customer: ref.nullish(),
  subscription: ref.nullish(),
  parent: z
    .looseObject({ subscription_details: z.looseObject({ subscription: ref.nullish(), metadata }).nullish() })
    .nullish(),
});

const OBJECT_BY_TYPE: Record<string, z.ZodType> = {
  'checkout.session.completed': checkoutSession,
  'customer.subscription.created': subscription,
  'customer.subscription.updated': subscription,
  'customer.subscription.deleted': subscription,
  'customer.subscription.trial_will_end': subscription,
  'invoice.paid': invoice,
  'invoice.payment_failed': invoice,
};

const envelope = z.looseObject({
  id: id.regex(/^evt_/, 'must be an event id (evt_...)'),
  object: z.literal('event').optional(),
  type: z.string().min(1).max(255),
  created: z.number().int().nonnegative(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

/** The problems with an event's shape (empty when it is one we can handle or safely ignore). */
export function eventShapeProblems(event: unknown): string[] {
  const outer = envelope.safeParse(event);
  if (!outer.success) return outer.error.issues.map(describe);
  const objectSchema = OBJECT_BY_TYPE[outer.data.type];
  if (!objectSchema) return [];
  const inner = objectSchema.safeParse(outer.data.data.object);
  return inner.success ? [] : inner.error.issues.map((i) => describe({ ...i, path: ['data', 'object', ...i.path] }));
}

function describe(issue: { path: PropertyKey[]; message: string }): string {
  return `${issue.path.map(String).join('.') || 'event'}: ${issue.message}`;
}
