using Xunit;

namespace MLNetAdam.Tests.Training;

/// <summary>The training step (objective, gradient norm, Adam update) allocates nothing once warmed up.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void ATrainingStepAllocatesNothingAfterTheFirst(bool sparse, int threads)
    {
        const int rows = 300, features = 60, batch = 32;
        var random = new Random(1);
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++)
            x[i] = random.Next(10) == 0 ? (float)random.NextDouble() : 0f;
        var labels = Enumerable.Range(0, rows).Select(i => i % 3).ToArray();
        var data = TrainingData.FromDense(x, features, 3, labels, null);
        if (sparse)
            data = data.WithOtherStorage();
        var layout = new ParameterLayout([features, 48, 32, 3]);
        using var pool = threads > 1 ? new WorkerPool(threads) : null;
        var objective = new MlpObjective<float>(layout, MlpActivation.Relu, 1e-4, batch, 0.1f, new SeededRandom(2), pool);
        var parameters = new float[layout.ParameterCount];
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        var gradient = new float[parameters.Length];
        var adam = new AdamOptimizer();
        var state = adam.CreateState(parameters.Length);
        var batchRows = Enumerable.Range(0, batch).ToArray();

        Assert.Equal(0, AllocatedAfterWarmUp(() =>
        {
            objective.Evaluate(parameters, gradient, data, batchRows);
            double norm = GradientClipping.Norm(gradient);
            GradientClipping.ClipByNorm(gradient, norm, 1.0);
            adam.Step(parameters, gradient, state, 1e-3f);
        }));
    }

    // Bytes this thread allocates over 20 calls of step after 5 warm-up calls.
    private static long AllocatedAfterWarmUp(Action step)
    {
        for (int i = 0; i < 5; i++)
            step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            step();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("squared")]
    [InlineData("huber")]
    public void AStepThroughEachOneOutputHeadAllocatesNothingAfterTheFirst(string name)
    {
        const int rows = 200, features = 20, batch = 32;
        var random = new Random(1);
        var x = Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, rows).Select(i => i % 2).ToArray();
        var data = TrainingData.FromDense(x, features, 2, labels, null).WithTargets(Enumerable.Range(0, rows).Select(i => (float)random.NextDouble()).ToArray());
        var head = name switch { "binary" => OutputHead.Binary, "squared" => OutputHead.SquaredError, _ => OutputHead.Huber(1) };
        var layout = new ParameterLayout([features, 16, 1]);
        var objective = new MlpObjective<float>(layout, MlpActivation.Tanh, 0, batch, head: head) { TrackAccuracy = false };
        var parameters = Enumerable.Range(0, layout.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var gradient = new float[parameters.Length];
        var adam = new AdamOptimizer();
        var state = adam.CreateState(parameters.Length);
        var batchRows = Enumerable.Range(0, batch).ToArray();
        Assert.Equal(0, AllocatedAfterWarmUp(() =>
        {
            objective.Evaluate(parameters, gradient, data, batchRows);
            adam.Step(parameters, gradient, state, 1e-3f);
        }));
    }

    [Fact]
    public void ValidationWithTheAucAndRSquaredAllocatesNothingAfterTheFirst()
    {
        const int rows = 3000, features = 8;
        var random = new Random(2);
        var x = Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble()).ToArray();
        var data = TrainingData.FromDense(x, features, 2, Enumerable.Range(0, rows).Select(i => i % 2).ToArray(), null)
            .WithTargets(Enumerable.Range(0, rows).Select(i => (float)random.NextDouble()).ToArray());
        var layout = new ParameterLayout([features, 6, 1]);
        var parameters = Enumerable.Range(0, layout.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        foreach (var head in new[] { OutputHead.Binary, OutputHead.SquaredError })
        {
            var problem = new TrainingProblem(layout, MlpActivation.Relu, 0, new SeededRandom(1))
            {
                Train = data, Validation = data, Batches = () => throw new InvalidOperationException(), Shuffle = false,
                GradientClipNorm = null, GradientClipValue = null, DropoutRate = 0, Pool = null, Head = head,
            };
            var evaluator = new FullBatchEvaluator(problem, data, withGradient: false);
            for (int i = 0; i < 5; i++)
                evaluator.Evaluate(parameters, Span<float>.Empty);

            // An allocation of the evaluation itself shows in every window; the runtime's one-off work while the
            // methods are recompiled (tiering) in some window only, so the quietest of ten windows must be empty.
            var windows = new List<long>();
            for (int window = 0; window < 10; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 5; i++)
                    evaluator.Evaluate(parameters, Span<float>.Empty);
                windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.Equal(0, windows.Min());
        }
    }
}
