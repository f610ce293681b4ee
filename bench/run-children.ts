import { spawn } from 'node:child_process';

/** One child process of a benchmark: the program, its arguments and extra environment. */
export interface ChildCommand {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs the children at once, to completion; resolves with each one's stdout and stderr, rejects if one fails. */
export function runAll(commands: ChildCommand[]): Promise<string[]> {
  return Promise.all(commands.map(({ cmd, args, env }) => new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out + err) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  })));
}

/** The last JSON line a child printed. */
export function lastJsonLine<T>(out: string): T {
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return JSON.parse(line ?? '{}') as T;
}
