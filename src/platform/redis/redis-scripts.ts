import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.constants';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The app's root (`dist/` or `src/`): each context keeps its scripts in a `scripts/` folder. */
const APP_ROOT = join(__dirname, '..', '..');

/** Every `<context>/.../scripts/*.lua` under the app's root, found once at start-up. */
function scriptFiles(dir: string = APP_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (!entry.isDirectory() || entry.name === 'node_modules') return [];
    if (entry.name !== 'scripts') return scriptFiles(path);
    return readdirSync(path)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => join(path, file));
  });
}

/** Lua shared by several scripts, named by `--! include: <name>` lines after the keys line. */
const FRAGMENTS_DIR = join(__dirname, 'lua');

/** A script's text with its `--! include:` fragments put in place of those lines. */
export function withFragments(lua: string, file: string): string {
  return lua.replace(/^--! include: ([a-z0-9-]+)$/gm, (_line, fragment: string) => {
    try {
      return readFileSync(join(FRAGMENTS_DIR, `${fragment}.lua`), 'utf8').trimEnd();
    } catch {
      throw new Error(`${file}: no Lua fragment named ${fragment}`);
    }
  });
}

/** Key count each script declares on its first line: `--! keys: N` (exactly N) or `N+` (at least N). */
const declaredKeys = new Map<string, { count: number; more: boolean }>();

/**
 * Registers every context's `scripts/*.lua` on the client as a custom command. ioredis sends
 * EVALSHA and falls back to EVAL once when the server does not know the script yet (after a restart
 * or SCRIPT FLUSH). Key counts are passed per call, so a script may take a variable number of keys.
 */
export function defineScripts(redis: RedisClient): void {
  for (const { name, lua } of loadScripts()) redis.defineCommand(commandName(name), { lua });
}

/**
 * The client command of every script (`lua_<name>`). A Redis Cluster client must not auto-pipeline
 * these: ioredis routes an auto-pipelined command by its first argument, which for a script with
 * the key count passed per call is the key count, not a key; a batch could then mix keys of
 * different masters and fail whole ("All keys in the pipeline should belong to the same slots
 * allocation group").
 */
export function scriptCommandNames(): string[] {
  return loadScripts().map(({ name }) => commandName(name));
}

/** One load per connection: a cluster's node connection is never reconnected, only replaced. */
const loadedOn = new WeakMap<Redis, Promise<void>>();

/**
 * SCRIPT LOAD of every script on one server connection (a cluster master's), once per
 * connection; a failed load is tried again on the next call. On a cluster this is what puts the
 * scripts on every master up front: the EVALSHA-then-EVAL fallback alone would load each script on
 * a master only when a key of that master first needs it, with a failed round trip each time.
 */
export function loadScriptsOn(connection: Redis): Promise<void> {
  let done = loadedOn.get(connection);
  if (!done) {
    done = Promise.all(loadScripts().map(({ lua }) => connection.script('LOAD', lua))).then(
      () => undefined,
    );
    loadedOn.set(connection, done);
    done.catch(() => loadedOn.delete(connection));
  }
  return done;
}

let loaded: { name: string; lua: string }[] | undefined;

/** Every script with its fragments in place, read from disk once per process (every client shares them). */
function loadScripts(): { name: string; lua: string }[] {
  loaded ??= scriptFiles().map((path) => {
    const file = basename(path);
    const lua = withFragments(readFileSync(path, 'utf8'), file);
    const header = /^--! keys: (\d+)(\+?)/.exec(lua);
    if (!header) throw new Error(`${file}: first line must be "--! keys: N" or "--! keys: N+"`);
    const name = file.replace(/\.lua$/, '');
    declaredKeys.set(name, { count: Number(header[1]), more: header[2] === '+' });
    return { name, lua };
  });
  return loaded;
}

/** Runs a script registered by {@link defineScripts}; `name` is the file name without `.lua`. */
export function runScript<T>(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  const declared = declaredKeys.get(name);
  const command = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<T>>)[
    commandName(name)
  ];
  if (!declared || typeof command !== 'function')
    throw new Error(`Redis script ${name} is not defined`);
  if (keys.length < declared.count || (!declared.more && keys.length > declared.count)) {
    throw new Error(
      `Redis script ${name} takes ${declared.count}${declared.more ? ' or more' : ''} keys, got ${keys.length}`,
    );
  }
  return command.call(redis, keys.length, ...keys, ...args);
}

function commandName(name: string): string {
  return `lua_${name.replace(/[^a-z0-9]/gi, '_')}`;
}
