import { RemovalPolicy } from 'aws-cdk-lib';
import { removalPolicyFromContext } from '../../lib/context';

describe('removalPolicyFromContext', () => {
  it('retains data unless told to destroy it', () => {
    expect(removalPolicyFromContext(undefined)).toBe(RemovalPolicy.RETAIN);
    expect(removalPolicyFromContext('retain')).toBe(RemovalPolicy.RETAIN);
    expect(removalPolicyFromContext('destroy')).toBe(RemovalPolicy.DESTROY);
  });

  it('rejects anything else at synth', () => {
    for (const bad of ['Destroy', 'delete', '', true]) {
      expect(() => removalPolicyFromContext(bad)).toThrow(
        /context removalPolicy must be "retain" or "destroy"/,
      );
    }
  });
});
