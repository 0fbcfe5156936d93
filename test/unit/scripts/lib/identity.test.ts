import { describe, expect, it } from 'vitest';
import { judgePidRecord, parsePidFile, startTimeFromStat } from '../../../../scripts/lib/identity.mjs';

describe('startTimeFromStat', () => {
  it('reads field 22 of a /proc/<pid>/stat line', () => {
    const stat = '4242 (node) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 11 0 987654 1000000 2000 0';

    expect(startTimeFromStat(stat)).toBe('987654');
  });

  it('counts fields after the last parenthesis, since a program name may hold spaces and parentheses', () => {
    const stat = '4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 11 0 123 1000000 2000 0';

    expect(startTimeFromStat(stat)).toBe('123');
  });

  it('gives undefined for a line that is cut short', () => {
    expect(startTimeFromStat('4242 (node) S 1 4242')).toBeUndefined();
  });
});

describe('parsePidFile', () => {
  it('reads the record this version writes', () => {
    expect(parsePidFile('{"pid":42,"startTime":"987","command":"moto_server -p 4566"}')).toEqual({
      record: { pid: 42, startTime: '987', command: 'moto_server -p 4566' },
    });
  });

  it('reads the bare pid earlier versions wrote, without an identity', () => {
    expect(parsePidFile('42\n')).toEqual({ record: { pid: 42 } });
  });

  it('names an empty file as such', () => {
    expect(parsePidFile('  \n')).toEqual({ problem: 'is empty' });
  });

  it('names a truncated record as damaged', () => {
    const result = parsePidFile('{"pid":42,"startT');

    expect(result).toEqual({ problem: expect.stringMatching(/^is damaged/) });
  });

  it('refuses a record whose pid is not a positive integer (0 or -1 would signal whole process groups)', () => {
    expect(parsePidFile('{"pid":0}')).toHaveProperty('problem');
    expect(parsePidFile('{"pid":-1}')).toHaveProperty('problem');
    expect(parsePidFile('-1')).toHaveProperty('problem');
  });
});

describe('judgePidRecord', () => {
  const record = { pid: 42, startTime: '987', command: 'moto_server -p 4566' };

  it('calls a process with the recorded start time ours', () => {
    expect(judgePidRecord(record, { startTime: '987', command: 'moto_server -p 4566' }, true)).toBe('ours');
  });

  it('calls a process with that pid but another start time a stranger, whatever its command line', () => {
    expect(judgePidRecord(record, { startTime: '5555', command: 'moto_server -p 4566' }, true)).toBe('reused');
  });

  it('calls a group whose leader ended but whose members run ours (its id cannot have been handed out again)', () => {
    expect(judgePidRecord(record, undefined, true)).toBe('ours');
  });

  it('calls a record with neither leader nor group gone', () => {
    expect(judgePidRecord(record, undefined, false)).toBe('gone');
  });

  it('judges a bare pid of an earlier version by its command line', () => {
    const bare = { pid: 42 };

    expect(judgePidRecord(bare, { startTime: '1', command: 'python3 /usr/bin/moto_server -p 4566' }, true, /moto_server/)).toBe('ours');
    expect(judgePidRecord(bare, { startTime: '1', command: 'sleep 600' }, true, /moto_server/)).toBe('reused');
    expect(judgePidRecord(bare, { startTime: '1', command: 'sleep 600' }, true)).toBe('reused');
  });
});
