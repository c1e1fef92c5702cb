/**
 * A solution version as the training workflow leaves it (an ACTIVE version resource under its solution, the model
 * artifact at the workflow's key in the data bucket), written through the same stores the handlers use, for a
 * model built without training (`random-model.ts`). Runs in the process that started the local runtime.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Model } from '../../lambdas/engine/model';
import { arnName, hexId, solutionVersionArn } from '../../lambdas/services/arns';
import { createServiceContext } from '../../lambdas/services/context';
import { SOLUTION_VERSION } from '../../lambdas/services/solutions';
import { modelKey } from '../../lambdas/store/artifacts';

/** Publishes `model` as a new ACTIVE version of the solution and returns its ARN. */
export async function storeModelVersion(
  solutionArn: string,
  datasetGroupArn: string,
  model: Model,
): Promise<string> {
  const ctx = createServiceContext();
  const versionArn = solutionVersionArn(ctx, arnName(solutionArn) as string, hexId());
  await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.dataBucket, Key: modelKey(versionArn), Body: model.serialize() }),
  );
  const now = new Date();
  await ctx.resources.create({
    arn: versionArn,
    type: SOLUTION_VERSION,
    parentArn: solutionArn,
    status: 'ACTIVE',
    doc: {
      solutionVersionArn: versionArn,
      solutionArn,
      datasetGroupArn,
      status: 'ACTIVE',
      trainingMode: 'FULL',
      creationDateTime: now,
      lastUpdatedDateTime: now,
    },
  });
  return versionArn;
}
