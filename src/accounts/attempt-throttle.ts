import type { AppBindings } from '../env';
import { DomainError } from '../domain/errors';

/**
 * Throttling of password guesses, on the RateLimiter Durable Object (one object per key, so
 * attempts on one key are serialized and counted exactly, across every Worker instance).
 *
 * Every attempt is counted and a success resets the key, so the count is the number of
 * failures since the last success within the window. (RateLimiter has no non-counting check;
 * counting every attempt and resetting on success is equivalent and needs none.) With the
 * login defaults:
 *   - attempts after 3 failures wait 250 ms, then 500 ms, ... (doubling, at most 2 s) before
 *     the password is even looked at, so the wait cannot be skipped by guessing right;
 *   - after 5 failures within 15 minutes every attempt, right or wrong, is refused with
 *     429 rate_limited and Retry-After until the oldest failure leaves the window.
 * The key never depends on whether the account exists, so the answers do not reveal it.
 */
export interface ThrottlePolicy {
  /** Failures allowed within the window; the next attempt is refused. */
  maxFailures: number;
  windowSeconds: number;
  /** Failures after which attempts are slowed down. */
  delayAfter: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** For the 429 message: "Too many <what>." */
  what: string;
}

export const LOGIN_POLICY: ThrottlePolicy = {
  maxFailures: 5,
  windowSeconds: 15 * 60,
  delayAfter: 3,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
  what: 'failed sign-in attempts for this account',
};

/** Re-entering the current password (PUT /api/me/password): same limits, per user. */
export const PASSWORD_CHECK_POLICY: ThrottlePolicy = { ...LOGIN_POLICY, what: 'wrong current passwords' };

/**
 * Operator console sign-in (POST /api/admin/session), per client address: the admin token is
 * long and random, so this is about noise and abuse more than guessing; same limits as a login.
 */
export const OPERATOR_SIGN_IN_POLICY: ThrottlePolicy = { ...LOGIN_POLICY, what: 'failed operator sign-ins from this address' };

/** The wait before an attempt that follows `failures` failures. */
export function throttleDelayMs(failures: number, policy: ThrottlePolicy = LOGIN_POLICY): number {
  if (failures < policy.delayAfter) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.delayAfter));
}

export class AttemptThrottle {
  constructor(
    private readonly env: AppBindings,
    readonly key: string,
    private readonly policy: ThrottlePolicy,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => scheduler.wait(ms),
  ) {}

  private stub() {
    return this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(this.key));
  }

  /** Counts an attempt: refuses it (429) when locked, otherwise waits as long as the failures so far require. */
  async begin(): Promise<void> {
    const { maxFailures, windowSeconds, what } = this.policy;
    const result = await this.stub().hit(maxFailures, windowSeconds);
    if (!result.allowed) {
      throw new DomainError('rate_limited', `Too many ${what}. Try again in ${result.retryAfterSeconds} seconds.`, { retryAfterSeconds: result.retryAfterSeconds });
    }
    // `remaining` is what is left after this attempt, so the attempts before it are:
    const failuresBefore = maxFailures - 1 - result.remaining;
    const delay = throttleDelayMs(failuresBefore, this.policy);
    if (delay > 0) await this.sleep(delay);
  }

  /** The attempt succeeded: forget the failures. */
  async succeeded(): Promise<void> {
    await this.stub().reset();
  }
}

/** Failed sign-ins per workspace and e-mail address (so workspaces never share a counter). */
export function loginThrottle(env: AppBindings, tenantId: string, email: string): AttemptThrottle {
  return new AttemptThrottle(env, `login:${tenantId}:${email.toLowerCase()}`, LOGIN_POLICY);
}

export function passwordCheckThrottle(env: AppBindings, tenantId: string, userId: string): AttemptThrottle {
  return new AttemptThrottle(env, `password-check:${tenantId}:${userId}`, PASSWORD_CHECK_POLICY);
}

export function operatorSignInThrottle(env: AppBindings, clientIp: string): AttemptThrottle {
  return new AttemptThrottle(env, `operator-sign-in:${clientIp}`, OPERATOR_SIGN_IN_POLICY);
}
