import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ensureClientBuilt } from './ensure-built.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Compiles typing.check.ts with the client's compiler options; its `@ts-expect-error` lines must all be errors. */
describe('typed send/request/on', () => {
  it('accepts the message types of a gateway and refuses typos and wrong data (typing.check.ts compiles cleanly)', () => {
    const configFile = path.join(here, '..', 'tsconfig.json');
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configFile));
    const file = path.join(here, 'typing.check.ts');
    const program = ts.createProgram([file], { ...options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}:${d.start ?? ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);

    // …and the checks are live: the same file without its @ts-expect-error markers has one error per marker.
    const source = ts.sys.readFile(file)!;
    const markers = source.match(/\/\/ @ts-expect-error/g)!.length;
    const host = ts.createCompilerHost({ ...options, noEmit: true });
    const read = host.readFile.bind(host);
    host.readFile = (name) => (path.resolve(name) === file ? source.replace(/\/\/ @ts-expect-error.*$/gm, '') : read(name));
    const unmarked = ts.createProgram([file], { ...options, noEmit: true }, host, program);
    const errors = ts.getPreEmitDiagnostics(unmarked).filter((d) => d.file && path.resolve(d.file.fileName) === file);
    expect(errors.length).toBe(markers);
  }, 120_000);
});

describe('the notification bell of client/README.md', () => {
  beforeAll(ensureClientBuilt);

  it('compiles as written against the built package (strict, React JSX)', () => {
    const readme = ts.sys.readFile(path.join(here, '..', 'README.md'))!;
    const section = readme.slice(readme.indexOf('## A notification bell'));
    const code = /```tsx\n([\s\S]*?)```/.exec(section)![1];
    expect(code).toContain('export function NotificationBell');
    const configFile = path.join(here, '..', 'tsconfig.json');
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configFile));
    const file = path.join(here, 'readme-bell.tsx');
    const compilerOptions = { ...options, noEmit: true, jsx: ts.JsxEmit.ReactJSX, types: [] };
    const host = ts.createCompilerHost(compilerOptions);
    const read = host.readFile.bind(host);
    const exists = host.fileExists.bind(host);
    host.readFile = (name) => (path.resolve(name) === file ? code : read(name));
    host.fileExists = (name) => path.resolve(name) === file || exists(name);
    const program = ts.createProgram([file], compilerOptions, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}:${d.start ?? ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  }, 120_000);
});
