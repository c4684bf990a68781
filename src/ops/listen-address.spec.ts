import { describeListenAddress } from './listen-address.js';

describe('describeListenAddress', () => {
  it('prints a wildcard bind as what it is, with the local URL beside it', () => {
    expect(describeListenAddress({ address: '0.0.0.0', family: 'IPv4', port: 3000 })).toBe(
      'http://0.0.0.0:3000 (all interfaces; on this machine http://localhost:3000)',
    );
    expect(describeListenAddress({ address: '::', family: 'IPv6', port: 3000 })).toBe(
      'http://[::]:3000 (all interfaces; on this machine http://localhost:3000)',
    );
  });

  it('prints a specific interface as its URL', () => {
    expect(describeListenAddress({ address: '127.0.0.1', family: 'IPv4', port: 41234 })).toBe('http://127.0.0.1:41234');
    expect(describeListenAddress({ address: '::1', family: 'IPv6', port: 8080 })).toBe('http://[::1]:8080');
  });

  it('prints a socket path as it is', () => {
    expect(describeListenAddress('/run/herald.sock')).toBe('/run/herald.sock');
  });
});
