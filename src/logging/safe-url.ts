/**
 * A request target as it may be logged: the path, and every query value
 * redacted whatever its name (`?tick%65t=T` decodes to `ticket` too). A part
 * without `=` could be a bare secret, so it is redacted whole. Parses nothing:
 * a malformed target is safe too.
 */
export function safeUrl(url: string | undefined): string {
  const target = (url ?? '').slice(0, 2048);
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? (part === '' ? '' : '[redacted]') : `${part.slice(0, eq)}=[redacted]`;
    });
  return `${target.slice(0, q)}?${query.join('&')}`;
}
