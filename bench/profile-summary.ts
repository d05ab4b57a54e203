import { readFileSync } from 'node:fs';

/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: where a V8 CPU profile spent
 * its samples, by self time, grouped by package (node_modules/<pkg>), project file, or
 * V8/Node internals: a quick read of `npm run bench -- --profile` output.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const own = /\/dist\/(src|bench)\/(.+)\.js$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url;
}

function main() {
  const [file, topArg] = process.argv.slice(2);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
  };
  const counts = new Map<number, number>();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = counts.get(node.id) ?? 0;
    if (hits === 0) continue;
    total += hits;
    const group = groupOf(node.callFrame.url, node.callFrame.functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + hits);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${group}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const top = Number(topArg ?? 25);
  const show = (title: string, map: Map<string, number>) => {
    console.log(`\n${title} (self time, ${total} samples)`);
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([name, hits]) =>
        console.log(`${((hits / total) * 100).toFixed(1).padStart(6)} %  ${name}`),
      );
  };
  show('by package / file', byGroup);
  show('by function', byFunction);
}

if (require.main === module) main();
