import { App, RemovalPolicy } from 'aws-cdk-lib';
import { OpenPersonalizeStack } from './open-personalize-stack';

const app = new App();

// `cdk deploy -c removalPolicy=destroy` makes a throw-away stack whose data goes with it.
const removal = app.node.tryGetContext('removalPolicy') as string | undefined;
if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
  throw new Error(`context removalPolicy must be "retain" or "destroy", got "${removal}"`);
}

new OpenPersonalizeStack(app, 'OpenPersonalize', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
});
