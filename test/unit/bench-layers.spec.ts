import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatches, LAYERS, OFF_HELPER, variants } from '../../bench/layers-patches';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('bench layer patches', () => {
  it('find every anchor exactly once in the current sources', () => {
    const patched = applyPatches(read);
    for (const layer of LAYERS) {
      for (const patch of layer.patches) {
        expect(patched.get(patch.file)).toContain(patch.replace);
      }
    }
    for (const text of patched.values()) expect(text.endsWith(OFF_HELPER)).toBe(true);
  });

  it('refuses an anchor that is missing or repeated', () => {
    const layer = (find: string) => [
      { name: 'x', removes: 'x', patches: [{ file: 'a.ts', find, replace: 'y' }] },
    ];
    expect(() => applyPatches(() => 'one two', layer('three'))).toThrow(/not found in a.ts/);
    expect(() => applyPatches(() => 'two two', layer('two'))).toThrow(/more than once/);
  });

  it('switches each layer off by name, all at once in "-all", and keeps the full service first', () => {
    const names = variants().map((v) => v.name);
    expect(names[0]).toBe('full');
    expect(variants()[0].env).toEqual({});
    expect(names).toEqual(expect.arrayContaining(LAYERS.map((l) => `-${l.name}`)));
    const everything = variants().find((v) => v.name === '-all');
    expect(everything?.env.BENCH_WITHOUT.split(',').sort()).toEqual(
      LAYERS.map((l) => l.name).sort(),
    );
  });
});
