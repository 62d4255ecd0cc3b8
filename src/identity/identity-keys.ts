/**
 * The identity context's Redis keys.
 */
export const IdentityKeys = {
  /**
   * Sorted set of one username's failed logins (member -> Redis time, ms) in the throttle's window.
   * Keyed by a digest of the name: names are any string a client sends, braces included.
   */
  loginFailures: (nameDigest: string): string => `auth:login-failures:${nameDigest}`,
} as const;
