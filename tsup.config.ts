import { defineConfig } from 'tsup';

/**
 * The library's build: the two public entry points (`.` and `./lambda`) as ES modules with their
 * type declarations, in `dist/`. Dependencies stay external (the consumer's bundler or
 * node_modules provides them); code both entries use lands in one shared chunk, so a consumer
 * that imports both gets one copy of each module (one error class per failure, one cache).
 */
export default defineConfig({
  entry: { index: 'shared/index.ts', lambda: 'shared/lambda/index.ts' },
  outDir: 'dist',
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  tsconfig: 'tsconfig.build.json',
});
