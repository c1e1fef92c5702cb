/**
 * Tagging (spec §2.14): tags given on Create and through TagResource / UntagResource / ListTagsForResource, stored on
 * the resource item as a map so a key appears once. A resource holds at most 50 tags (the documented limit; the
 * model allows 200 per request).
 */
import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  Tag,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
} from '@aws-sdk/client-personalize';
import { invalidInput, PersonalizeError } from '../errors';
import type { ServiceContext } from './context';

export const MAX_TAGS_PER_RESOURCE = 50;
/** No resource can hold more than 50 keys, so a longer removal list can only be a mistake. */
export const MAX_TAG_KEYS_PER_UNTAG = 50;
const RESERVED_PREFIX = 'aws:';

function tooManyTags(count: number): PersonalizeError {
  return new PersonalizeError(
    'TooManyTagsException',
    `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would leave ${count}.`,
  );
}

/** A key the DynamoDB document layer cannot store: it turns into the prototype of the map it is read into. */
const UNSTORABLE_KEY = '__proto__';

function checkKey(key: string): void {
  if (key.toLowerCase().startsWith(RESERVED_PREFIX)) {
    throw invalidInput(`Tag key ${key} is invalid: the prefix "aws:" is reserved for AWS use.`);
  }
  if (key === UNSTORABLE_KEY) throw invalidInput(`Tag key ${key} is not supported by this service.`);
}

/** Request tags → stored map (a repeated key keeps its last value); refuses reserved keys and more than 50 tags. */
export function tagsToMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) {
    const key = tag.tagKey ?? '';
    checkKey(key);
    map[key] = tag.tagValue ?? '';
  }
  const count = Object.keys(map).length;
  if (count > MAX_TAGS_PER_RESOURCE) throw tooManyTags(count);
  return map;
}

/** Stored map → wire tag list. */
export function mapToTags(map: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(map).map(([tagKey, tagValue]) => ({ tagKey, tagValue }));
}

/** Merges tags into a resource's tags (a given key replaces its value); over 50 in total → `TooManyTagsException`. */
export async function tagResource(
  ctx: ServiceContext,
  input: TagResourceRequest,
): Promise<TagResourceResponse> {
  const incoming = tagsToMap(input.tags);
  await ctx.resources.updateTags(input.resourceArn!, (current) => {
    const next = { ...current, ...incoming };
    const count = Object.keys(next).length;
    if (count > MAX_TAGS_PER_RESOURCE) throw tooManyTags(count);
    return next;
  });
  return {};
}

/** Removes the given keys (absent keys are ignored). */
export async function untagResource(
  ctx: ServiceContext,
  input: UntagResourceRequest,
): Promise<UntagResourceResponse> {
  const keys = input.tagKeys ?? [];
  if (keys.length > MAX_TAG_KEYS_PER_UNTAG) {
    throw new PersonalizeError(
      'TooManyTagKeysException',
      `At most ${MAX_TAG_KEYS_PER_UNTAG} tag keys can be removed in one request; got ${keys.length}.`,
    );
  }
  await ctx.resources.updateTags(input.resourceArn!, (current) => {
    const next = { ...current };
    for (const key of keys) delete next[key];
    return next;
  });
  return {};
}

/** The resource's tags; unknown ARN → `ResourceNotFoundException`. */
export async function listTagsForResource(
  ctx: ServiceContext,
  input: ListTagsForResourceRequest,
): Promise<ListTagsForResourceResponse> {
  const record = await ctx.resources.require(input.resourceArn!);
  return { tags: mapToTags(record.tags) };
}
