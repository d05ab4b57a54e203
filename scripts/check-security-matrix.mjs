#!/usr/bin/env node
// Fails (exit 1) when docs/SECURITY.md names a test that does not exist. A reference is
// `test/<path>.ts` › `<exact it()/test() title>`; a bare `test/<path>.ts` must exist as a file.
// Plain Node, no dependencies: runs in CI before anything is installed or built.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const matrixPath = process.argv[2] ?? join(root, 'docs', 'SECURITY.md');
const STATUSES = new Set(['met', 'partly met', 'not met', 'n/a']);

/** Titles of every it()/test() call in a file, string escapes resolved. */
function testTitles(source) {
  const titles = new Set();
  const call = /\b(?:it|test)(?:\.(?:only|skip|concurrent|failing))?\(\s*(['"`])/g;
  let match;
  while ((match = call.exec(source))) {
    const quote = match[1];
    let i = call.lastIndex;
    let title = '';
    while (i < source.length && source[i] !== quote) {
      if (source[i] === '\\') {
        const next = source[i + 1];
        title += { n: '\n', t: '\t' }[next] ?? next;
        i += 2;
      } else {
        title += source[i];
        i += 1;
      }
    }
    titles.add(title);
  }
  return titles;
}

function check(markdown) {
  const errors = [];
  const titlesByFile = new Map();
  const titlesOf = (file) => {
    if (!titlesByFile.has(file))
      titlesByFile.set(file, testTitles(readFileSync(join(root, file), 'utf8')));
    return titlesByFile.get(file);
  };
  let references = 0;
  let rows = 0;

  markdown.split('\n').forEach((line, index) => {
    const where = `${matrixPath}:${index + 1}`;
    const cells = line.trim().startsWith('|') ? line.split('|').map((c) => c.trim()) : [];
    // Requirement rows start with an ASVS id such as `6.2.1` or `V9.1.1`.
    if (/^\**V?\d+\.\d+\.\d+\**$/.test(cells[1] ?? '')) {
      rows += 1;
      const status = (cells[3] ?? '').replace(/\*/g, '').toLowerCase();
      if (!STATUSES.has(status))
        errors.push(`${where}: status "${cells[3]}" is not one of ${[...STATUSES].join(' / ')}`);
    }
    const refs = /`(test\/[^`\s]+\.ts)`(?:\s*›\s*`([^`]+)`)?/g;
    let ref;
    while ((ref = refs.exec(line))) {
      references += 1;
      const [, file, title] = ref;
      if (!existsSync(join(root, file))) {
        errors.push(`${where}: file ${file} does not exist`);
      } else if (title !== undefined && !titlesOf(file).has(title)) {
        errors.push(`${where}: no it()/test() titled "${title}" in ${file}`);
      }
    }
  });
  if (rows === 0) errors.push(`${matrixPath}: no requirement rows found`);
  if (references === 0) errors.push(`${matrixPath}: no test references found`);
  return { errors, rows, references };
}

if (!existsSync(matrixPath)) {
  console.error(`check-security-matrix: ${matrixPath} not found`);
  process.exit(1);
}
const { errors, rows, references } = check(readFileSync(matrixPath, 'utf8'));
if (errors.length > 0) {
  console.error(errors.join('\n'));
  console.error(`check-security-matrix: ${errors.length} problem(s)`);
  process.exit(1);
}
console.log(
  `check-security-matrix: ${rows} requirements, ${references} test references, all resolve`,
);
