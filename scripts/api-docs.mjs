// @ts-check
/** `npm run docs:api`: writes docs/api.md from the library's entry points (see scripts/lib/api-docs.mjs). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { collectApi, renderApi } from './lib/api-docs.mjs';
import { projectRoot } from './lib/config.mjs';

const api = collectApi();
writeFileSync(path.join(projectRoot, 'docs', 'api.md'), renderApi(api));
const undocumented = api.flatMap(({ entries }) => entries.filter((entry) => !entry.summary).map((entry) => entry.name));
console.log(`docs/api.md: ${api.reduce((total, { entries }) => total + entries.length, 0)} exports`);
if (undocumented.length > 0) {
  console.error(`exports without JSDoc: ${undocumented.join(', ')}`);
  process.exit(1);
}
