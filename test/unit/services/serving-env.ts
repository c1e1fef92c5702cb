/**
 * Test helper for the campaign and runtime services: small models trained in-process with the engine, and solution
 * versions stored as the training workflow leaves them (an ACTIVE version resource under its solution, its model
 * artifact at the workflow's key in the data bucket).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Model } from '../../../lambdas/engine/model';
import { encodeSnapshot, SnapshotBuilder } from '../../../lambdas/engine/snapshot';
import { train } from '../../../lambdas/engine/train';
import type { Interaction } from '../../../lambdas/engine/types';
import { arnName, hexId, solutionVersionArn } from '../../../lambdas/services/arns';
import { USER_PERSONALIZATION_RECIPE_ARN } from '../../../lambdas/services/recipes';
import { createSolution, SOLUTION_VERSION } from '../../../lambdas/services/solutions';
import { modelKey, snapshotKey } from '../../../lambdas/store/artifacts';
import { DATA_BUCKET, type DataEnv } from './data-env';

export const CATALOG = 60;

/**
 * A model of users who walk the catalog in a cycle: item i<k> is always followed by i<k+step>, so after a history
 * ending in i<k> the best next item is i<k+step> — a known answer independent of the model's numbers.
 */
export interface Trained {
  readonly model: Model;
  readonly interactions: readonly Interaction[];
}

export async function cycleModel(step: number): Promise<Trained> {
  const interactions: Interaction[] = [];
  let t = 1_700_000_000;
  for (let u = 0; u < 80; u++) {
    let k = (u * 7) % CATALOG;
    for (let s = 0; s < 20; s++) {
      interactions.push({ userId: `u${u}`, itemId: `i${k}`, timestamp: t++ });
      k = (k + step + CATALOG) % CATALOG;
    }
  }
  const model = await train({ interactions }, { hyperParameters: { hiddenDimension: 32 }, seed: 1 });
  return { model, interactions };
}

/** The last item training user u<u> saw in {@link cycleModel}'s data. */
export const lastTrainingItem = (u: number, step: number) => (u * 7 + 19 * step + 20 * CATALOG) % CATALOG;

/** The training snapshot the workflow's prepare step writes (`engine/snapshot.ts`), as one buffer. */
function snapshot(interactions: readonly Interaction[]): Uint8Array {
  const builder = new SnapshotBuilder();
  for (const x of interactions) builder.add(x);
  return Buffer.concat(encodeSnapshot({ columns: builder.finish(), items: [], users: [] }));
}

export const next = (k: number, step: number) => `i${(k + step + CATALOG) % CATALOG}`;

export async function newSolution(env: DataEnv, groupArn: string, name: string): Promise<string> {
  const { solutionArn } = await createSolution(env.ctx, {
    name,
    datasetGroupArn: groupArn,
    recipeArn: USER_PERSONALIZATION_RECIPE_ARN,
    performAutoTraining: false,
  });
  return solutionArn as string;
}

/** A solution version with `status`, its model artifact uploaded where the training workflow writes it. */
export async function addVersion(
  env: DataEnv,
  solutionArn: string,
  groupArn: string,
  trained: Trained,
  status = 'ACTIVE',
): Promise<string> {
  const arn = solutionVersionArn(env.ctx, arnName(solutionArn) as string, hexId());
  const now = env.ctx.now();
  await env.ctx.resources.create({
    arn,
    type: SOLUTION_VERSION,
    parentArn: solutionArn,
    status,
    doc: {
      solutionVersionArn: arn,
      solutionArn,
      datasetGroupArn: groupArn,
      status,
      trainingMode: 'FULL',
      creationDateTime: now,
      lastUpdatedDateTime: now,
    },
    createdAt: now.getTime(),
  });
  await env.s3.send(
    new PutObjectCommand({ Bucket: DATA_BUCKET, Key: modelKey(arn), Body: trained.model.serialize() }),
  );
  await env.s3.send(
    new PutObjectCommand({
      Bucket: DATA_BUCKET,
      Key: snapshotKey(arn),
      Body: snapshot(trained.interactions),
    }),
  );
  return arn;
}
