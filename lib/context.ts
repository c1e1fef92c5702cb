import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * Reads the `removalPolicy` context value (`cdk deploy -c removalPolicy=destroy` for a throw-away stack).
 * Anything but `retain`, `destroy` or nothing throws at synth, so a typo never deploys a stack with the wrong policy.
 */
export function removalPolicyFromContext(value: unknown): RemovalPolicy {
  if (value === undefined || value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw new Error(`context removalPolicy must be "retain" or "destroy", got ${JSON.stringify(value)}`);
}
