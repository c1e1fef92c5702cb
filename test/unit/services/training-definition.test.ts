import {
  SHARD_MAP_STATE,
  substitute,
  TRAINING_STEP_LIST,
  TRAINING_STEPS,
  trainingDefinition,
} from '../../../lambdas/workflows/training-definition';

type States = Record<string, Record<string, unknown>>;

/** Every state, the shard Map's child included. */
function allStates(definition: { States: unknown }): States {
  const top = definition.States as States;
  const map = top[SHARD_MAP_STATE] as { ItemProcessor: { States: States } };
  return { ...top, ...map.ItemProcessor.States };
}

const arns = Object.fromEntries(
  TRAINING_STEP_LIST.map((s) => [s.placeholder, `arn:aws:lambda:::function:${s.worker}`]),
);

describe('training definition', () => {
  it('fills every placeholder and leaves none behind', () => {
    const text = substitute(trainingDefinition(), arns);
    expect(text).not.toMatch(/\$\{/);
    const states = allStates(JSON.parse(text) as { States: unknown });
    for (const step of TRAINING_STEP_LIST) {
      expect(states[step.state]?.Resource).toBe(`arn:aws:lambda:::function:${step.worker}`);
    }
  });

  it('refuses a missing placeholder value', () => {
    const { PrepareFunctionArn: _, ...partial } = arns;
    expect(() => substitute(trainingDefinition(), partial)).toThrow(
      `No value for placeholder \${PrepareFunctionArn}`,
    );
  });

  it("passes only the version ARN between states, the plan's shard list, and the caught error to the failure step", () => {
    const states = trainingDefinition().States as States;
    // The plan keeps its shard list for the Map, which gives each child the ARN and its shard.
    expect(states[TRAINING_STEPS.plan.state]?.ResultSelector).toEqual({
      'solutionVersionArn.$': '$.solutionVersionArn',
      'shards.$': '$.shards',
      'concurrency.$': '$.concurrency',
    });
    expect(states[SHARD_MAP_STATE]?.ItemSelector).toEqual({
      'solutionVersionArn.$': '$.solutionVersionArn',
      'shard.$': '$$.Map.Item.Value',
    });
    for (const step of TRAINING_STEP_LIST) {
      if (step === TRAINING_STEPS.shardSums) continue;
      const params = states[step.state]?.Parameters as Record<string, string>;
      expect(params['solutionVersionArn.$']).toBe('$.solutionVersionArn');
      const extra = Object.keys(params).filter((k) => k !== 'solutionVersionArn.$');
      expect(extra).toEqual(step.state === 'RecordFailure' ? ['error.$'] : []);
    }
  });
});
