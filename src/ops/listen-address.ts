import type { AddressInfo } from 'node:net';

/**
 * The startup line's address: the one the server actually bound (Nest's `getUrl()` prints 127.0.0.1 for a
 * wildcard bind). A wildcard adds where a browser on this machine can reach it.
 */
export function describeListenAddress(address: AddressInfo | string | null): string {
  if (address === null) return 'an unknown address';
  if (typeof address === 'string') return address; // a Unix socket or named pipe
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return wildcard ? `${url} (all interfaces; on this machine http://localhost:${address.port})` : url;
}
