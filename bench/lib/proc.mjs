// Child processes for the benchmark: forked, pinned to a core, driven over IPC.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const CLK_TCK = 100;
let canPin;

/** Pins every thread of `pid` to `cpus` ("0", "1", "1-3") when taskset exists; returns whether it did. */
export function pin(pid, cpus) {
  if (canPin === false || cpus === undefined) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
    return (canPin = true);
  } catch {
    return (canPin = false);
  }
}

export class Child {
  constructor(script, { cpus, env = {}, execArgv = [], silent = true } = {}) {
    this.script = script;
    this.proc = fork(script, [], {
      env: { ...process.env, ...env },
      execArgv: ['--expose-gc', ...execArgv],
      stdio: silent ? ['ignore', 'ignore', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.pid = this.proc.pid;
    this.pinned = pin(this.pid, cpus);
    this.waiters = new Map();
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.proc.on('message', (msg) => {
      const queue = this.waiters.get(msg.cmd);
      if (queue?.length) queue.shift()(msg);
    });
    this.exited.then(({ code, signal }) => {
      for (const [cmd, queue] of this.waiters) for (const w of queue.splice(0)) w({ cmd, error: `${script} exited (${code ?? signal})` });
    });
  }

  /** The next message of kind `cmd` from the child. */
  next(cmd, timeoutMs = 600_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.script}: no "${cmd}" within ${timeoutMs} ms`)), timeoutMs);
      const queue = this.waiters.get(cmd) ?? [];
      queue.push((msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg);
      });
      this.waiters.set(cmd, queue);
    });
  }

  /** Sends a command and resolves with the child's answer to it. */
  request(msg, answer = msg.cmd, timeoutMs) {
    const reply = this.next(answer, timeoutMs);
    this.proc.send(msg);
    return reply;
  }

  /** Asks the child to exit (so --cpu-prof and the like can write), kills it after 3 s. */
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.proc.connected) this.proc.send({ cmd: 'exit' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function machineInfo() {
  const cpus = os.cpus();
  let kernel = os.release();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    openFilesLimit: (() => {
      try {
        return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
      } catch {
        return NaN;
      }
    })(),
  };
}
