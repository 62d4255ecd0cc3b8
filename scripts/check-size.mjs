// `npm test`'s size habit: no source file over 250 lines, so a module stays one readable idea.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from './env.mjs';

const MAX_LINES = 250;

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|lua)$/.test(entry.name)) yield path;
  }
}

const tooLong = [...sources(join(projectRoot, 'src'))]
  .map((file) => ({
    file: relative(projectRoot, file),
    lines: readFileSync(file, 'utf8').split('\n').length - 1,
  }))
  .filter(({ lines }) => lines > MAX_LINES);
for (const { file, lines } of tooLong)
  console.error(`${file}: ${lines} lines (at most ${MAX_LINES})`);
if (tooLong.length > 0) process.exit(1);
console.log(`[size] every source file under src/ has at most ${MAX_LINES} lines`);
