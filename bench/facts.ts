import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

/** What a result depends on besides the code: the machine and how busy it was at the start. */
export interface MachineFacts {
  cores: number;
  cpu_model: string;
  mem_gb: number;
  os: string;
  node: string;
  load_avg_before: number[];
  /** The 1-minute load average was below half the core count when the run started. */
  quiet: boolean;
}

export interface CommitFacts {
  commit: string;
  commit_short: string;
  /** Tracked files differed from the commit: the numbers are not that commit's. */
  dirty: boolean;
}

export function machineFacts(): MachineFacts {
  const cores = availableParallelism();
  const load = loadavg().map((v) => Math.round(v * 100) / 100);
  return {
    cores,
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    mem_gb: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    load_avg_before: load,
    quiet: load[0] < cores / 2,
  };
}

export function commitFacts(root: string): CommitFacts {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return { commit, commit_short: commit.slice(0, 7), dirty };
  } catch {
    return { commit: 'unknown', commit_short: 'unknown', dirty: true };
  }
}

/** `2026-11-29T19-40-00Z-abc1234[-dirty]`: sorts by date, names the code measured. */
export function resultsFileStem(date: Date, code: CommitFacts): string {
  const stamp = date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `${stamp}-${code.commit_short}${code.dirty ? '-dirty' : ''}`;
}
