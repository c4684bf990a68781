/**
 * An origin-form request target (RFC 9112 §3.2.1): `/path?query` of URI
 * characters, percent escapes well formed. Anything else is answered 400
 * before it is parsed, matched or logged.
 */
const ORIGIN_FORM = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

export interface RequestTarget {
  /** The path, trailing slashes removed (PROTOCOL §2.2 tolerates one). */
  path: string;
  url: URL;
}

/** The path and query of a request target, or undefined when it is not a well-formed origin-form target. */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined || raw.length > 8192 || !ORIGIN_FORM.test(raw) || BAD_ESCAPE.test(raw)) return undefined;
  let url: URL;
  try {
    // the base is joined as text: a target starting with `//` stays a path, never an authority
    url = new URL(`http://herald.invalid${raw}`);
  } catch {
    return undefined;
  }
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return { path, url };
}
