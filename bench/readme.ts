import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  BenchRecord,
  LayersRecord,
  MARKERS,
  renderBenchBlock,
  renderLayersBlock,
  replaceBlock,
} from './readme-table';

/**
 * `npm run bench:readme -- bench/results/<run>.json [bench/results/<layers>.json]`:
 * rewrites README.md's generated performance blocks from results files.
 */
function main() {
  const root = join(__dirname, '..', '..');
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: npm run bench:readme -- bench/results/<file>.json [<layers file>.json]');
    process.exit(2);
  }
  const readmePath = join(root, 'README.md');
  let readme = readFileSync(readmePath, 'utf8');
  for (const file of files) {
    const shown = relative(root, join(process.cwd(), file));
    const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord | LayersRecord;
    if (record.kind === 'bench') {
      readme = replaceBlock(readme, MARKERS.bench, renderBenchBlock(shown, record));
    } else if (record.kind === 'layers') {
      readme = replaceBlock(readme, MARKERS.layers, renderLayersBlock(shown, record));
    } else {
      throw new Error(
        `${file}: not a results file (kind ${String((record as { kind?: unknown }).kind)})`,
      );
    }
    console.log(`README.md: ${record.kind} block from ${shown}`);
  }
  writeFileSync(readmePath, readme);
}

main();
