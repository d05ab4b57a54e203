/**
 * Clock skew tolerated between replicas (and token issuers) when checking `exp`/`iat`; the
 * revocation list keeps entries this much longer than an access token lives, for the same reason.
 */
export const CLOCK_LEEWAY_SECONDS = 5;
