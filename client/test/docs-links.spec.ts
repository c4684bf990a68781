import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Markdown links `[text](target)` outside code blocks. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** GitHub's heading anchors. */
function anchors(markdown: string): Set<string> {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'),
    ),
  );
}

// Every relative link of README.md, docs/ and client/README.md (file and heading) is checked by `npm run lint`
// (remark-validate-links); these are the rules it does not know.
const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links', () => {
  it('README.md points at docs/protocol.md, never at the workspace outside the repository', () => {
    expect(read('README.md')).not.toMatch(/\.\.\/shared|PROTOCOL\.md\)/);
    expect(links(read('README.md'))).toContain('docs/protocol.md');
  });

  it('client/README.md links only to the web or to its own headings (it is packed alone into the npm tarball)', () => {
    const text = read('client/README.md');
    const packed = JSON.parse(read('client/package.json')).files as string[];
    expect(packed).toContain('README.md');
    for (const target of links(text)) {
      if (external(target)) continue;
      expect([target, target.startsWith('#') && anchors(text).has(target.slice(1))]).toEqual([target, true]);
    }
  });
});
