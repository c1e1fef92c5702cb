/**
 * Off Lambda tracing is off (no X-Ray daemon), yet the X-Ray SDK the tracer loads would still run in its automatic
 * context mode, whose async hook runs on every promise and callback of the process: a few per cent of the CPU of
 * every request. Manual mode installs no hook. This module is imported before the tracer, whose import reads it.
 */
if (process.env.AWS_LAMBDA_FUNCTION_NAME === undefined && process.env.AWS_XRAY_MANUAL_MODE === undefined) {
  process.env.AWS_XRAY_MANUAL_MODE = 'true';
}
