/**
 * Data shapes shared by the engine, its metrics, the baselines and the services that feed it.
 * Timestamps are epoch seconds, as in Personalize's datasets.
 */

export interface Interaction {
  readonly userId: string;
  readonly itemId: string;
  readonly timestamp: number;
  readonly eventType?: string;
  readonly eventValue?: number;
  /** Items shown to the user when this interaction happened (explicit or expanded from a recommendationId). */
  readonly impression?: readonly string[];
  /** Contextual metadata recorded with the event: its categorical Interactions columns (multi-valued ones split). */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

export interface ItemMeta {
  readonly itemId: string;
  readonly creationTimestamp?: number;
  /** Categorical columns; multi-valued fields already split on `|`. */
  readonly categorical?: Readonly<Record<string, readonly string[]>>;
  readonly numeric?: Readonly<Record<string, number>>;
  /** The one textual field, if the schema has one. */
  readonly text?: string;
}

export interface UserMeta {
  readonly userId: string;
  readonly categorical?: Readonly<Record<string, readonly string[]>>;
  readonly numeric?: Readonly<Record<string, number>>;
}

export interface ScoredItem {
  readonly itemId: string;
  readonly score: number;
}

export interface RecommendRequest {
  /** The user's item ids, oldest first; may include events newer than the model and unknown items. */
  readonly history: readonly string[];
  /** The event type of each history entry (aligned with `history`), where known; repeat rates depend on it. */
  readonly historyEventTypes?: readonly (string | undefined)[];
  /** 1–500. */
  readonly numResults: number;
  /** Item ids never to return. */
  readonly exclude?: ReadonlySet<string>;
  /** Also exclude every item in `history`. @default false */
  readonly excludeHistory?: boolean;
  /** 1 at the catalog indices never to return (a filter's mask; index-aligned with the model's items). */
  readonly blocked?: Uint8Array;
  /** The user's categorical Users metadata (multi-valued fields split), for a model that uses it. */
  readonly userAttributes?: Readonly<Record<string, readonly string[]>>;
  /** The request's contextual metadata (DEVICE, LOCATION, … ; multi-valued fields split), for a model that uses it. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

/** Anything that ranks items for a history: the engine's model and every benchmark baseline. */
export interface Recommender {
  recommend(request: RecommendRequest): ScoredItem[];
}
