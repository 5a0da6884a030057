/**
 * Entry point of `npm run gen` / `npm run gen:check`: runs `skiff gen` from sources (tsx),
 * so generation works before `npm run build`.
 */
import { run } from '../cli/gen.js';

process.exitCode = await run(process.argv.slice(2));
