/**
 * Keys that JSON keeps but JavaScript objects do not carry as data: class-transformer
 * and object spreads drop or misread them, so a payload holding one would arrive
 * changed. They are refused, with the path of the first one, instead.
 */
const RESERVED = new Set(['__proto__', 'constructor']);

/** The path (`root.a.0.constructor`) of the first reserved key in a parsed JSON value, if any. Iterative. */
export function reservedKeyPath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (!Array.isArray(node) && RESERVED.has(key)) return child;
      stack.push([(node as Record<string, unknown>)[key], child]);
    }
  }
  return undefined;
}

export const reservedKeyMessage = (path: string) => `"${path.slice(path.lastIndexOf('.') + 1)}" is a reserved key and cannot be sent; rename it`;
