import { readFileSync } from 'node:fs';

/** The version in package.json, which sits two folders above dist/runners/shared in a checkout and in the image. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
