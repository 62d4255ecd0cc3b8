import { randomBytes, randomInt } from 'node:crypto';

export interface DatasetSpec {
  users: number;
  foods: number;
  stock: number;
}

export interface PlainUser {
  id: number;
  name: string;
  password: string;
}

export interface NewFood {
  id: number;
  price: number;
  stock: number;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const PASSWORD_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** The contest's users: 1 is root/toor, the rest random 5–8 letter names with random passwords. */
export function generateUsers(count: number): PlainUser[] {
  const users: PlainUser[] = [{ id: 1, name: 'root', password: 'toor' }];
  const taken = new Set(['root']);
  while (users.length < count) {
    const name = randomString(LETTERS, randomInt(5, 9));
    if (taken.has(name)) continue;
    taken.add(name);
    users.push({ id: users.length + 1, name, password: randomString(PASSWORD_CHARS, 8) });
  }
  return users;
}

/** The contest's foods: prices 3–30, the same initial stock each. */
export function generateFoods(count: number, stock: number): NewFood[] {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, price: randomInt(3, 31), stock }));
}

export function newDatasetVersion(): string {
  return randomBytes(16).toString('hex');
}
