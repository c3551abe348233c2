import Stripe from 'stripe';
import type { Config } from '../config';
import { DomainError } from '../domain/errors';

/**
 * The Stripe SDK as the Worker uses it: fetch for HTTP (no Node http module in workerd), Web
 * Crypto for webhook signatures, and the API version pinned to the one this SDK release was
 * generated for, so the shapes in its types are the shapes Stripe sends us. STRIPE_API_URL
 * (local dev and tests only) points the SDK at the local Stripe fake instead of api.stripe.com.
 */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

export type StripeConfig = Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_API_URL'>;

/** Web Crypto signature checks for `constructEventAsync` (workerd has no Node crypto HMAC). */
export const webhookCryptoProvider = Stripe.createSubtleCryptoProvider();

export function createStripeClient(secretKey: string, apiUrl?: string): Stripe {
  const target = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    httpClient: Stripe.createFetchHttpClient(),
    // One retry on network errors and 409/5xx answers; the SDK adds an idempotency key to
    // every POST, so a retried create never creates twice.
    maxNetworkRetries: 1,
    timeout: 20_000,
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === 'https:' ? '443' : '80'),
          protocol: target.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}

/** The client for API calls; 503 billing_unavailable when Stripe is not configured. */
export function stripeFor(config: StripeConfig): Stripe {
  if (!config.STRIPE_SECRET_KEY) throw billingUnavailable('Stripe is not configured on this server (STRIPE_SECRET_KEY).');
  return createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
}

export function webhookSecretOf(config: StripeConfig): string {
  if (!config.STRIPE_WEBHOOK_SECRET) throw billingUnavailable('Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET).');
  return config.STRIPE_WEBHOOK_SECRET;
}

export function billingUnavailable(message: string): DomainError {
  return new DomainError('billing_unavailable', message);
}

const SECRET_PATTERN = /\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9_*]+|\bwhsec_[A-Za-z0-9_*]+/g;

/**
 * An error as text that may be stored, logged or returned: Stripe's messages can quote (part of)
 * an API key ("Invalid API Key provided: sk_test_****1234"); those are blanked out.
 */
export function describeError(err: unknown): string {
  const text = err instanceof Stripe.errors.StripeError
    ? `${err.type}${err.statusCode ? ` ${err.statusCode}` : ''}: ${err.message}`
    : err instanceof Error
      ? `${err.name}: ${err.message}`
      : String(err);
  return text.replace(SECRET_PATTERN, '[redacted]').slice(0, 1000);
}

/** Stripe's "no such object" (a deleted customer or subscription). */
export function isMissingResource(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError && (err.code === 'resource_missing' || err.statusCode === 404);
}

/** Stripe refusing a request as invalid (400-class), e.g. expiring a session that is no longer open. */
export function isInvalidRequest(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError;
}

/**
 * A Stripe API call from a route, with Stripe's failures as our error shape: Stripe down or
 * unreachable → 503 billing_unavailable; Stripe refusing the request → 502 stripe_error. The
 * message is Stripe's (secrets blanked), never a stack.
 */
export async function viaStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeError)) throw err;
    if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError || (err.statusCode ?? 0) >= 500) {
      throw billingUnavailable('Stripe did not answer. Try again shortly.');
    }
    throw new DomainError('stripe_error', `Stripe refused the request: ${describeError(err)}`);
  }
}
