import { App } from 'aws-cdk-lib';
import { removalPolicyFromContext } from './context';
import { OpenPersonalizeStack } from './open-personalize-stack';
import { servingCapacityFromContext } from './serving-memory';

const app = new App();

new OpenPersonalizeStack(app, 'OpenPersonalize', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  removalPolicy: removalPolicyFromContext(app.node.tryGetContext('removalPolicy')),
  servingCapacity: servingCapacityFromContext((key) => app.node.tryGetContext(key)),
});
