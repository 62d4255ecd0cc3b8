import type { Redis } from 'ioredis';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPTS_DIR = join(__dirname, 'scripts');

/**
 * Registers every `scripts/*.lua` on the client as a custom command. Each file declares its key
 * count on its first line as `--! keys: N`. ioredis sends EVALSHA and falls back to EVAL once when
 * the server does not know the script yet (after a restart or SCRIPT FLUSH).
 */
export function defineScripts(redis: Redis): void {
  for (const file of readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.lua'))) {
    const lua = readFileSync(join(SCRIPTS_DIR, file), 'utf8');
    const header = /^--! keys: (\d+)/.exec(lua);
    if (!header) throw new Error(`${file}: first line must be "--! keys: N"`);
    redis.defineCommand(commandName(file), { numberOfKeys: Number(header[1]), lua });
  }
}

/** Runs a script registered by {@link defineScripts}; `name` is the file name without `.lua`. */
export function runScript<T>(redis: Redis, name: string, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<T>>)[commandName(name)];
  if (typeof command !== 'function') throw new Error(`Redis script ${name} is not defined`);
  return command.call(redis, ...keys, ...args);
}

function commandName(file: string): string {
  return `lua_${file.replace(/\.lua$/, '').replace(/[^a-z0-9]/gi, '_')}`;
}
