import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { lambdaInvoker, routeRequest } from '../api/router';
import { lambdaClient } from '../clients';

const invoke = lambdaInvoker(lambdaClient());

/** Control-plane entry point: `POST /` with `X-Amz-Target`, dispatched to the operation's own function; also
 *  answers the paths of unsupported runtime and events operations. */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  routeRequest(event, invoke);
