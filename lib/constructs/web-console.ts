import { type CfnRestApi, LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PersonalizeFunction } from './personalize-function';

/** Response size above which API Gateway gzips for clients that accept it (the console script is ~400 KB). */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

export interface WebConsoleProps {
  /** The API whose stage serves the console at `/console`, on the same origin the console signs requests for. */
  readonly restApi: RestApi;
  /** Directory holding `package-lock.json`, `lambdas/handlers/` and `console/`. */
  readonly sourceRoot: string;
  /**
   * Let API Gateway gzip responses larger than {@link COMPRESSION_THRESHOLD_BYTES} for clients that send
   * `Accept-Encoding: gzip` (browsers do; clients that do not ask get identity responses, as before).
   * @default true
   */
  readonly compressResponses?: boolean;
  /**
   * Log retention of the console function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The web console on the API's own stage: `GET /console` and `GET /console/{file+}` go to one small function
 * whose package holds the console built from source at synth (`console/build.ts`, run as an esbuild hook). The
 * page signs its API calls in the browser with the user's key pair; the function has no grants and no data access.
 */
export class WebConsole extends Construct {
  readonly function: PersonalizeFunction;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    this.function = new PersonalizeFunction(this, 'Assets', {
      handler: 'console-assets',
      operation: 'WebConsole',
      sourceRoot: props.sourceRoot,
      memorySize: 256,
      logRetention: props.logRetention,
      afterBundling: (inputDir, outputDir) => [
        `cd "${inputDir}" && node --import tsx console/build.ts --out "${outputDir}/console"`,
      ],
    });
    const integration = new LambdaIntegration(this.function, { allowTestInvoke: false });
    const page = props.restApi.root.addResource('console');
    page.addMethod('GET', integration);
    page.addResource('{file+}').addMethod('GET', integration);
    if (props.compressResponses ?? true) {
      (props.restApi.node.defaultChild as CfnRestApi).minimumCompressionSize = COMPRESSION_THRESHOLD_BYTES;
    }
  }
}
