import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secret first segment of every path a viewer serves: 128 random bits, base64url. Only who
 * was shown the printed URL (the user, and the browser it opened) can ask the server for
 * anything; another user of the machine, who can reach 127.0.0.1 too, cannot guess it.
 */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The rest of `pathname` after `/TOKEN` (`/api/tests` for `/TOKEN/api/tests`, '' for `/TOKEN`),
 * or undefined when it does not start with the token. Compared in constant time.
 */
export function afterToken(pathname: string, token: string): string | undefined {
  const end = 1 + token.length;
  if (pathname.length < end || pathname[0] !== '/' || (pathname.length > end && pathname[end] !== '/')) return undefined;
  const given = Buffer.from(pathname.slice(1, end));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return pathname.slice(end);
}
