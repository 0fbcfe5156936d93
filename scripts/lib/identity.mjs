// @ts-check
/**
 * Who a pid is. A pid alone names nothing for long: after a reboot, or once a process ended, the
 * kernel hands the same number to someone else. The stack therefore records, beside each pid, the
 * process's start time (field 22 of /proc/<pid>/stat: clock ticks after boot, fixed for the life of
 * the process) and its command line, and stops a process only when both still match. Where there
 * is no /proc (macOS), `ps -o lstart=` gives the start time to the second, which serves the same end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** @typedef {{ startTime: string, command: string }} ProcessIdentity */
/** @typedef {{ pid: number, startTime?: string, command?: string }} PidRecord what a pid file holds */

/**
 * The start time in a /proc/<pid>/stat line. The second field is the program name in parentheses
 * and may itself hold spaces and parentheses, so fields are counted after the last `)`.
 * @param {string} stat
 */
export function startTimeFromStat(stat) {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
  const startTime = rest[19];
  return startTime && /^\d+$/.test(startTime) ? startTime : undefined;
}

/**
 * The identity of a running process, or undefined when no process has that pid.
 * @param {number} pid
 * @returns {ProcessIdentity | undefined}
 */
export function processIdentity(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (existsSync('/proc/self/stat')) {
    try {
      const startTime = startTimeFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      return startTime ? { startTime, command } : undefined;
    } catch {
      return undefined; // no such process (ENOENT), or it ended while we read
    }
  }
  const ps = spawnSync('ps', ['-o', 'lstart=', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  const line = ps.status === 0 ? ps.stdout.trim() : '';
  // `lstart` is fixed-width: "Sun Nov 29 20:51:10 2026".
  return line ? { startTime: line.slice(0, 24), command: line.slice(24).trim() } : undefined;
}

/**
 * Reads a pid file's text: the JSON record this version writes, a bare pid (what earlier versions
 * wrote), or a problem in words when it is empty or damaged (a crash while writing, a hand edit).
 * @param {string} text
 * @returns {{ record: PidRecord } | { problem: string }}
 */
export function parsePidFile(text) {
  const trimmed = text.trim();
  if (!trimmed) return { problem: 'is empty' };
  if (/^\d+$/.test(trimmed)) return { record: { pid: Number(trimmed) } };
  try {
    const parsed = JSON.parse(trimmed);
    if (Number.isInteger(parsed?.pid) && parsed.pid > 0) {
      return {
        record: {
          pid: parsed.pid,
          ...(typeof parsed.startTime === 'string' ? { startTime: parsed.startTime } : {}),
          ...(typeof parsed.command === 'string' ? { command: parsed.command } : {}),
        },
      };
    }
  } catch {
    // falls through: truncated or not JSON
  }
  return { problem: `is damaged (${JSON.stringify(trimmed.slice(0, 40))} is not a pid record)` };
}

/**
 * Decides what a pid record names now.
 * - `ours`: the recorded process still runs (same start time; for a bare pid of an earlier version,
 *   a command line that looks like the service), or its leader ended but its process group still
 *   has members: Linux does not hand out a pid that is still a live group's id, so that group is
 *   the one we started.
 * - `reused`: another process has that pid now; it must be left alone.
 * - `gone`: nothing of it runs.
 * @param {PidRecord} record
 * @param {ProcessIdentity | undefined} current the identity of `record.pid` now
 * @param {boolean} groupAlive whether the process group `record.pid` still has members
 * @param {RegExp} [commandPattern] what the service's command line looks like (for bare pids)
 * @returns {'ours' | 'reused' | 'gone'}
 */
export function judgePidRecord(record, current, groupAlive, commandPattern) {
  if (!current) return groupAlive ? 'ours' : 'gone';
  if (record.startTime !== undefined) return current.startTime === record.startTime ? 'ours' : 'reused';
  return commandPattern?.test(current.command) ? 'ours' : 'reused';
}
