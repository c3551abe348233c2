/**
 * A local fake of the parts of Stripe's API that nchat uses, for tests and `npm run dev`.
 * See README.md beside this file for the endpoints and the control API.
 */
export { startStripeFake, type StripeFake, type StripeFakeOptions } from './server';
export { StripeFakeState, type RecordedRequest, type FailureRule, type SubscriptionPatch } from './state';
export { DEFAULT_PRICES, type PriceSeed } from './objects';
export type { SignedEvent, DeliveryResult } from './events';
export type { CompleteCheckoutRequest, SubscriptionPatchRequest, InvoiceRequest, FailRequest, HoldRequest } from './control-routes';
