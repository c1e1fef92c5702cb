/**
 * The first `count` interactions, in time order, of a seeded synthetic data set (`lambdas/engine/synthetic.ts`):
 * user history lengths are log-normal, so more users are generated than `count / eventsPerUser` and the earliest
 * `count` events kept.
 */
import { generateSynthetic } from '../../lambdas/engine/synthetic';
import type { Interaction } from '../../lambdas/engine/types';

/** How many more users than count / eventsPerUser are generated, so that `count` events are surely there. */
const USER_MARGIN = 1.3;

export function syntheticRows(
  count: number,
  options: { readonly items?: number; readonly eventsPerUser: number; readonly seed: number },
): Interaction[] {
  const users = Math.ceil((count / options.eventsPerUser) * USER_MARGIN);
  const data = generateSynthetic({
    users,
    items: options.items ?? Math.ceil(users * 0.75),
    meanEventsPerUser: options.eventsPerUser,
    seed: options.seed,
  });
  const rows = [...data.interactions].sort((a, b) => a.timestamp - b.timestamp).slice(0, count);
  if (rows.length < count) throw new Error(`generator gave ${rows.length} interactions, fewer than ${count}`);
  return rows;
}
