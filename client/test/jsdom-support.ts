/**
 * For hook tests in jest's jsdom environment. Herald itself runs in the same
 * process, and it needs Node's timers (it unrefs them) and setImmediate, which
 * that environment replaces or lacks; import this module first. The code under
 * test (React, the SDK) runs on jsdom's DOM and its browser-like WebSocket.
 */
import http from 'node:http';
import timers from 'node:timers';
import { TextDecoder, TextEncoder } from 'node:util';
import type { FetchLike } from '../src/index.js';

Object.assign(globalThis, {
  setTimeout: timers.setTimeout,
  clearTimeout: timers.clearTimeout,
  setInterval: timers.setInterval,
  clearInterval: timers.clearInterval,
  setImmediate: timers.setImmediate,
  clearImmediate: timers.clearImmediate,
  TextEncoder,
  TextDecoder,
});

/** jsdom has no fetch (browsers do): a minimal one over node:http, for the SDK's ticket call and the tests' REST calls. */
export const nodeFetch = (url: string, init: Parameters<FetchLike>[1] & { body?: string }): ReturnType<FetchLike> =>
  new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
