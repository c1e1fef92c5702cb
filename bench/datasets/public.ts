/**
 * Loaders for the public data sets of the accuracy suite, each in the format its source repository publishes. The
 * files are fetched by hand into the data directory (see `README.md` next to this file) and never committed.
 * Every loader returns interactions grouped by user, each user's events in time order (stable on ties).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextItemCase } from '../../lambdas/engine/metrics';
import type { Interaction, ItemMeta } from '../../lambdas/engine/types';

/** What the suite needs from a data set. */
export interface LoadedDataset {
  readonly interactions: Interaction[];
  readonly items?: ItemMeta[];
  /**
   * A published next-item split to use for leave-last-out instead of holding out each test user's last event:
   * train on `train`, predict each case's target. (ML-1M's gSASRec validation split.)
   */
  readonly nextItem?: { readonly train: Interaction[]; readonly cases: NextItemCase[] };
  /** Caveats to print with the results. */
  readonly notes?: readonly string[];
}

/** Groups by user in first-appearance order and sorts each user's events by time, keeping input order on ties. */
export function groupByUserInTimeOrder(interactions: readonly Interaction[]): Interaction[] {
  const byUser = new Map<string, Interaction[]>();
  for (const x of interactions) {
    const list = byUser.get(x.userId);
    if (list === undefined) byUser.set(x.userId, [x]);
    else list.push(x);
  }
  const out: Interaction[] = [];
  for (const list of byUser.values()) {
    list.sort((a, b) => a.timestamp - b.timestamp);
    for (const x of list) out.push(x);
  }
  return out;
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * LBSNDatasets check-ins (Foursquare_3, Gowalla_3): whitespace-separated `user poi unix_seconds`, not sorted by
 * time. Exact duplicate rows are kept: they are recorded check-ins.
 */
export function loadCheckins(path: string): LoadedDataset {
  const out: Interaction[] = [];
  for (const [n, line] of lines(path).entries()) {
    const f = line.split(/\s+/);
    const timestamp = Number(f[2]);
    if (f.length !== 3 || !Number.isFinite(timestamp)) {
      throw new Error(`${path}:${n + 1}: expected "user poi unix_ts"`);
    }
    out.push({ userId: f[0] as string, itemId: f[1] as string, timestamp });
  }
  return { interactions: groupByUserInTimeOrder(out) };
}

/**
 * Taobao UserBehavior: `user,item,category,behavior,unix_seconds` without a header. Rows without exactly five
 * fields are dropped (the published head of the file ends in a cut-off record). The behaviour (pv, cart, fav, buy)
 * becomes the event type and the category an item metadata column.
 */
export function loadTaobao(path: string): LoadedDataset {
  const out: Interaction[] = [];
  const category = new Map<string, string>();
  let dropped = 0;
  for (const line of lines(path)) {
    const f = line.split(',');
    const timestamp = Number(f[4]);
    if (f.length !== 5 || !Number.isFinite(timestamp) || f[4] === '') {
      dropped++;
      continue;
    }
    const itemId = f[1] as string;
    category.set(itemId, f[2] as string);
    out.push({ userId: f[0] as string, itemId, timestamp, eventType: f[3] as string });
  }
  const items: ItemMeta[] = [...category].map(([itemId, c]) => ({ itemId, categorical: { category: [c] } }));
  return {
    interactions: groupByUserInTimeOrder(out),
    items,
    ...(dropped > 0 ? { notes: [`${dropped} incomplete row(s) dropped`] } : {}),
  };
}

/** S3-Rec sequences: one user per line, `user item item …` in time order; only the order is known. */
export function loadS3Rec(path: string): LoadedDataset {
  const sequences = new Map<string, string[]>();
  for (const line of lines(path)) {
    const [user, ...items] = line.split(/\s+/);
    if (user === undefined || items.length === 0) continue;
    const seq = sequences.get(user);
    if (seq === undefined) sequences.set(user, items);
    else seq.push(...items);
  }
  return { interactions: sequencesToInteractions(sequences), notes: ['order only: synthetic timestamps'] };
}

/** 2000-04-25; only the order of the synthetic timestamps carries meaning. */
const SEQUENCE_BASE_TIMESTAMP = 956_700_000;
const SEQUENCE_STEP_SECONDS = 60;

/**
 * Interactions for sequences that carry only an order: each user's events get increasing timestamps one minute
 * apart. Users start at the same instant, so cross-user order means nothing — as in the sources.
 */
export function sequencesToInteractions(sequences: ReadonlyMap<string, readonly string[]>): Interaction[] {
  const out: Interaction[] = [];
  for (const [userId, seq] of sequences) {
    for (let i = 0; i < seq.length; i++) {
      out.push({
        userId,
        itemId: seq[i] as string,
        timestamp: SEQUENCE_BASE_TIMESTAMP + i * SEQUENCE_STEP_SECONDS,
      });
    }
  }
  return out;
}

/** Synthetic day length between baskets: only the order carries meaning. */
const BASKET_SECONDS = 86_400;
const BASKET_BASE_TIMESTAMP = 978_307_200;

/**
 * Ta-Feng baskets: `{ "user": [[item, …], [item, …], …] }`, baskets in date order. The basket index is the time;
 * items of one basket share it and keep their listed order.
 */
export function loadTafeng(path: string): LoadedDataset {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${path}: expected a JSON object of user → baskets`);
  }
  const out: Interaction[] = [];
  for (const [userId, baskets] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(baskets)) throw new Error(`${path}: user ${userId} has no basket list`);
    baskets.forEach((basket: unknown, b) => {
      if (!Array.isArray(basket)) throw new Error(`${path}: user ${userId} basket ${b} is not a list`);
      for (const item of basket) {
        out.push({ userId, itemId: String(item), timestamp: BASKET_BASE_TIMESTAMP + b * BASKET_SECONDS });
      }
    });
  }
  return { interactions: out, notes: ['basket order only: one synthetic day per basket'] };
}

/**
 * gSASRec's ML-1M split (a directory with `train/input.txt`, `val/input.txt`, `val/output.txt`): every user's
 * training sequence is the Personalize-protocol data; leave-last-out is the validation split (train on
 * `train/input.txt`, predict `val/output.txt` from `val/input.txt`). The published snapshot's `test/input.txt` is
 * empty, so the test figure cannot be computed; nothing here reads `test/`.
 */
export function loadMl1mSplit(dir: string): LoadedDataset {
  const read = (name: string): string[][] => lines(join(dir, name)).map((l) => l.split(/\s+/));
  const train = read('train/input.txt');
  const valInput = read('val/input.txt');
  const valOutput = read('val/output.txt');
  if (valInput.length !== valOutput.length) {
    throw new Error(`${dir}: val/input.txt has ${valInput.length} lines, val/output.txt ${valOutput.length}`);
  }
  const sequences = new Map(train.map((seq, i) => [String(i + 1), seq]));
  const interactions = sequencesToInteractions(sequences);
  const cases: NextItemCase[] = valInput.map((history, i) => ({
    userId: `val${i + 1}`,
    history,
    target: (valOutput[i] as string[])[0] as string,
  }));
  const testInput = join(dir, 'test', 'input.txt');
  const testMissing = !existsSync(testInput) || readFileSync(testInput).length === 0;
  return {
    interactions,
    nextItem: { train: interactions, cases },
    notes: [
      'leave-last-out = the gSASRec validation split (512 users), not the test split' +
        (testMissing ? ' (test/input.txt is empty in the published snapshot)' : ''),
    ],
  };
}

/** Where a data set comes from: repository, commit and path, as the README lists them. */
export interface DatasetSource {
  readonly repository: string;
  readonly commit: string;
  readonly path: string;
}

export interface PublicDataset {
  readonly name: string;
  readonly domain: string;
  /** File (or directory) name inside the data directory. */
  readonly file: string;
  readonly source: DatasetSource;
  readonly load: (path: string) => LoadedDataset;
}

const LBSN: Omit<DatasetSource, 'path'> = {
  repository: 'rahmanidashti/LBSNDatasets',
  commit: 'b55cccad6ad49684705cabeed81472ce03ddb2df',
};
const S3REC: Omit<DatasetSource, 'path'> = {
  repository: 'aHuiWang/CIKM2020-S3Rec',
  commit: '49a890dcb516c9ed3126564495234ea74d5cd566',
};

export const PUBLIC_DATASETS: readonly PublicDataset[] = [
  {
    name: 'foursquare',
    domain: 'POI check-ins (repeats)',
    file: 'foursquare.txt',
    source: { ...LBSN, path: 'Foursquare/Foursquare_3/Foursquare_checkins.txt' },
    load: loadCheckins,
  },
  {
    name: 'gowalla',
    domain: 'POI check-ins (repeats)',
    file: 'gowalla.txt',
    source: { ...LBSN, path: 'Gowalla/Gowalla_3/Gowalla_checkins.txt' },
    load: loadCheckins,
  },
  {
    name: 'taobao',
    domain: 'e-commerce views/carts/buys (repeats)',
    file: 'taobao.csv',
    source: {
      repository: 'Haohanblue/mydeep',
      commit: 'ef812addc2c164f1d3ef48564a5c393ec293bc61',
      path: 'mydeep/UserBehavior.csv',
    },
    load: loadTaobao,
  },
  {
    name: 'tafeng',
    domain: 'grocery baskets (re-purchase)',
    file: 'tafeng.json',
    source: {
      repository: 'liming-7/A-Next-Basket-Recommendation-Reality-Check',
      commit: 'ca1a58e84189998f971c0b781541d9101ec094f1',
      path: 'mergeddataset/tafeng_merged.json',
    },
    load: loadTafeng,
  },
  {
    name: 'beauty',
    domain: 'product reviews',
    file: 'Beauty.txt',
    source: { ...S3REC, path: 'data/Beauty.txt' },
    load: loadS3Rec,
  },
  {
    name: 'toys',
    domain: 'product reviews',
    file: 'Toys_and_Games.txt',
    source: { ...S3REC, path: 'data/Toys_and_Games.txt' },
    load: loadS3Rec,
  },
  {
    name: 'yelp',
    domain: 'local business reviews',
    file: 'Yelp.txt',
    source: { ...S3REC, path: 'data/Yelp.txt' },
    load: loadS3Rec,
  },
  {
    name: 'lastfm',
    domain: 'music artists (deduplicated)',
    file: 'LastFM.txt',
    source: { ...S3REC, path: 'data/LastFM.txt' },
    load: loadS3Rec,
  },
  {
    name: 'ml1m',
    domain: 'movie ratings (literature)',
    file: 'ml1m',
    source: {
      repository: 'asash/gSASRec-pytorch',
      commit: '027f3f1302e02acff801a409dd38d7ade81bc4a0',
      path: 'datasets/ml1m/',
    },
    load: loadMl1mSplit,
  },
];

/** The default suite: five domains, three with repeat consumption. */
export const DEFAULT_SUITE = ['foursquare', 'taobao', 'tafeng', 'beauty', 'ml1m'] as const;

export function findDataset(name: string): PublicDataset | undefined {
  return PUBLIC_DATASETS.find((d) => d.name === name);
}

/** Share of events whose item occurs earlier in the same user's history (interactions grouped, time-ordered). */
export function repeatFraction(interactions: readonly Interaction[]): number {
  const seen = new Map<string, Set<string>>();
  let repeats = 0;
  for (const x of interactions) {
    let items = seen.get(x.userId);
    if (items === undefined) {
      items = new Set();
      seen.set(x.userId, items);
    }
    if (items.has(x.itemId)) repeats++;
    items.add(x.itemId);
  }
  return interactions.length > 0 ? repeats / interactions.length : 0;
}
