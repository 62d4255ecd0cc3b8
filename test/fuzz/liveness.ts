import { readFileSync } from 'node:fs';
import type { AppNode } from '../utils/app-cluster';

/** Lines of a node's output that mean a worker (or the node) went down. */
export const DEATH_LINES = /out of memory|died|heap limit|FATAL ERROR|Allocation failed/i;

/** The pids of a process's children (Linux /proc), empty when unreadable. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Still running, and still a node of the app (not a later process that got the same pid). */
function isAppProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.js');
  } catch {
    return false;
  }
}

export interface NodeWatch {
  /** Why the node is not as it was at the start (a worker exited, a death line), or undefined. */
  problem(): string | undefined;
  /** Lines of the node's output that report a death. */
  deathLines(): string[];
  /** Every worker pid seen. */
  workers(): number[];
  /** SIGKILLs workers (of this node only) still alive after the node stopped: a hung one ignores SIGTERM. */
  killLeftovers(): void;
}

/**
 * Watches a multi-worker node started by startNode: its primary, its workers (by pid, read from
 * /proc, so a worker that died and was replaced by the primary is noticed even when the
 * replacement is up again) and its output.
 */
export function watchNode(node: AppNode, expectedWorkers: number): NodeWatch {
  const primary = node.process.pid!;
  const initial = new Set(childrenOf(primary));
  if (initial.size !== expectedWorkers) {
    throw new Error(`expected ${expectedWorkers} workers under ${primary}, found ${[...initial]}`);
  }
  const seen = new Set(initial);
  const deathLines = (): string[] =>
    node
      .output()
      .split('\n')
      .filter((line) => DEATH_LINES.test(line));
  return {
    problem() {
      if (node.process.exitCode !== null || node.process.signalCode !== null) {
        return `node-exited: ${node.process.exitCode ?? node.process.signalCode}`;
      }
      const now = childrenOf(primary);
      for (const pid of now) seen.add(pid);
      const gone = [...initial].filter((pid) => !now.includes(pid));
      if (gone.length > 0) return `worker-exited: ${gone.join(', ')} (now ${now.join(', ')})`;
      const lines = deathLines();
      if (lines.length > 0) return `death-line: ${lines[0].slice(0, 200)}`;
      return undefined;
    },
    deathLines,
    workers: () => [...seen],
    killLeftovers() {
      for (const pid of seen) {
        if (isAppProcess(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
  };
}
