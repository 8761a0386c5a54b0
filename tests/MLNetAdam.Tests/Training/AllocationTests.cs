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

        void Step()
        {
            objective.Evaluate(parameters, gradient, data, batchRows);
            double norm = GradientClipping.Norm(gradient);
            GradientClipping.ClipByNorm(gradient, norm, 1.0);
            adam.Step(parameters, gradient, state, 1e-3f);
        }

        for (int i = 0; i < 5; i++)
            Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
            Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
