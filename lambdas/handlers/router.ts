import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { lambdaInvoker, routeControlPlane } from '../api/router';
import { lambdaClient } from '../clients';

const invoke = lambdaInvoker(lambdaClient());

/** Control-plane entry point: `POST /` with `X-Amz-Target`, dispatched to the operation's own function. */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  routeControlPlane(event, invoke);
