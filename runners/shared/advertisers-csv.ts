import { createWriteStream } from 'node:fs';

/** The header of a CSV in the seed's advertisers shape (examples/seed-scenario/advertisers-table.sql). */
export const ADVERTISERS_HEADER = 'advertiser_id,advertiser_name,advertiser_name_normalized,country,created_at,spend';
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'AU', 'ES'];

/** How to generate an advertisers CSV. */
export interface AdvertisersCsvOptions {
  /** The first advertiser_id; ids then increase by one, so the file is in key order. Default 1. */
  firstId?: number;
  /** 1 renames every 10th row and adds 10% new ids after the last (a changed re-export); default 0. */
  variant?: 0 | 1;
}

/**
 * Writes `rows` rows in the seed's advertisers shape to `path`: a bigint key, a quoted name, its normalized form,
 * a country code, a timestamptz and a numeric. Deterministic, so a benchmark's runs compare like with like.
 */
export async function writeAdvertisersCsv(path: string, rows: number, options: AdvertisersCsvOptions = {}): Promise<void> {
  const firstId = options.firstId ?? 1;
  const variant = options.variant ?? 0;
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r())));
  await write(`${ADVERTISERS_HEADER}\n`);
  const total = variant === 1 ? rows + Math.floor(rows / 10) : rows;
  let batch: string[] = [];
  for (let n = 1; n <= total; n++) {
    const id = firstId + n - 1;
    const renamed = variant === 1 && n % 10 === 0 && n <= rows;
    const name = `Advertiser ${id}${renamed ? ' Renamed' : ''} GmbH`;
    const day = 1 + (id % 28);
    batch.push(`${id},"${name}",${name.toLowerCase()},${COUNTRIES[id % COUNTRIES.length]},2024-02-${String(day).padStart(2, '0')}T10:00:00Z,${(id % 100000) / 100}`);
    if (batch.length === 5000) {
      await write(`${batch.join('\n')}\n`);
      batch = [];
    }
  }
  if (batch.length) await write(`${batch.join('\n')}\n`);
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(resolve);
  });
}
