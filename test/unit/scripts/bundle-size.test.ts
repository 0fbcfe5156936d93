import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readZipEntry, zipEntries } from '../../../scripts/bundle-size.mjs';

/** A zip of `files`, each deflated (method 8) or stored (method 0), written by hand per APPNOTE 4.3. */
function zipOf(files: { name: string; content: string; method: 0 | 8 }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, content, method } of files) {
    const raw = Buffer.from(content);
    const data = method === 8 ? deflateRawSync(raw) : raw;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-size-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readZipEntry', () => {
  it('returns the content of a deflated and of a stored entry', () => {
    // Prepare
    const file = path.join(dir, 'function.zip');
    const bundle = `"use strict";${'module.exports={handler:async()=>({statusCode:200})};'.repeat(50)}`;
    writeFileSync(file, zipOf([
      { name: 'functions/service-c/handler.js', content: bundle, method: 8 },
      { name: 'functions/service-c/handler.js.map', content: '{"version":3}', method: 0 },
    ]));

    // Act
    const js = readZipEntry(file, 'functions/service-c/handler.js').toString('utf8');
    const map = readZipEntry(file, 'functions/service-c/handler.js.map').toString('utf8');

    // Assess
    expect(js).toBe(bundle);
    expect(map).toBe('{"version":3}');
    expect(zipEntries(file).map((e) => [e.name, e.size])).toEqual([
      ['functions/service-c/handler.js', bundle.length],
      ['functions/service-c/handler.js.map', 13],
    ]);
  });

  it('names the entry a zip does not have', () => {
    // Prepare
    const file = path.join(dir, 'other.zip');
    writeFileSync(file, zipOf([{ name: 'a.js', content: 'x', method: 0 }]));

    // Act & Assess
    expect(() => readZipEntry(file, 'b.js')).toThrow(`${file} has no entry b.js.`);
  });
});
